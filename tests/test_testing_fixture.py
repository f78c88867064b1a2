"""pigeon.testing: the in-process server for users' own test suites, as a context manager and a plugin."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import requests

from pigeon.testing import running_pigeon


def test_running_pigeon_serves_and_isolates_accounts():
    with running_pigeon() as pigeon:
        assert requests.get(pigeon.url + "/_pigeon/health", timeout=5).json()["Status"] == "OK"
        first, second = pigeon.client(), pigeon.client()
        first.create_configuration_set(ConfigurationSetName="mine")
        assert second.describe_configuration_sets()["ConfigurationSets"] == []
        assert pigeon.client("123412341234").describe_account_attributes()["AccountAttributes"][0]["Value"] == "PRODUCTION"
    try:
        requests.get(pigeon.url + "/_pigeon/health", timeout=1)
        raise AssertionError("the server should be stopped")
    except requests.ConnectionError:
        pass


def test_settings_pass_through():
    with running_pigeon(default_account_tier="SANDBOX") as pigeon:
        attributes = pigeon.client().describe_account_attributes()["AccountAttributes"]
        assert attributes[0] == {"Name": "ACCOUNT_TIER", "Value": "SANDBOX"}


def test_pytest_plugin_fixtures(tmp_path):
    test_file = tmp_path / "test_user_suite.py"
    test_file.write_text(textwrap.dedent("""
        def test_uses_pigeon(pigeon, pigeon_client):
            pigeon_client.create_configuration_set(ConfigurationSetName="from-plugin")
            names = [c["ConfigurationSetName"] for c in pigeon_client.describe_configuration_sets()["ConfigurationSets"]]
            assert names == ["from-plugin"]
    """))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "pigeon.testing", "-p", "no:cacheprovider",
                           str(test_file)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
