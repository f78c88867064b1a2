"""The real AWS CLI against Pigeon, and Pigeon's own command line."""

from __future__ import annotations

import subprocess
import sys

from pigeon.protocol.model import operation_names


def test_aws_cli_round_trip(aws_cli, account_id):
    created = aws_cli("create-configuration-set", "--configuration-set-name", "from-cli")
    assert created["ConfigurationSetArn"].endswith(f":{account_id}:configuration-set/from-cli")
    described = aws_cli("describe-configuration-sets")
    assert [c["ConfigurationSetName"] for c in described["ConfigurationSets"]] == ["from-cli"]
    aws_cli("set-default-message-type", "--configuration-set-name", "from-cli", "--message-type", "PROMOTIONAL")
    attributes = aws_cli("describe-account-attributes")
    assert attributes["AccountAttributes"][0] == {"Name": "ACCOUNT_TIER", "Value": "PRODUCTION"}


def test_aws_cli_reports_aws_errors(aws_cli):
    aws_cli("create-configuration-set", "--configuration-set-name", "twice")
    stderr = aws_cli("create-configuration-set", "--configuration-set-name", "twice", expect_error=True)
    assert "ConflictException" in stderr


def test_coverage_counts_model_and_reference():
    done = subprocess.run([sys.executable, "-m", "pigeon", "coverage"], capture_output=True, text=True, check=True)
    first, second = done.stdout.splitlines()[:2]
    assert first.endswith(f"of the model's {len(operation_names())} operations implemented")
    assert second.endswith("of the reference's 91 actions implemented")
    assert "[x] CreateConfigurationSet" in done.stdout
    implemented = int(first.split()[0])
    assert implemented == done.stdout.count("[x] ")


def test_account_command_sets_the_tier(tmp_path, server):
    data = tmp_path / "data"
    done = subprocess.run([sys.executable, "-m", "pigeon", "account", "123412341234", "--tier", "SANDBOX",
                           "--data-dir", str(data)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "123412341234: SANDBOX"
    bad = subprocess.run([sys.executable, "-m", "pigeon", "account", "1", "--tier", "GOLD"], capture_output=True, text=True)
    assert bad.returncode == 2
