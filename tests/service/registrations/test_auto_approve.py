"""registration_auto_approve_seconds: versions approve themselves after the delay, judged by Pigeon's clock;
and the operator's review as a `pigeon registration-review` command."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import make_client, new_account_id
from tests.service.registrations.conftest import AUTO_APPROVE_SECONDS
from tests.service.registrations.forms import submitted

BRAND = "US_TEN_DLC_BRAND_REGISTRATION"


def test_submitted_version_is_approved_after_the_delay(configured):
    client = make_client(configured, new_account_id())
    registration_id = submitted(client, BRAND)
    assert client.describe_registrations(RegistrationIds=[registration_id])["Registrations"][0]["RegistrationStatus"] == "SUBMITTED"
    configured.advance_clock(AUTO_APPROVE_SECONDS + 1)
    info = client.describe_registrations(RegistrationIds=[registration_id])["Registrations"][0]
    assert (info["RegistrationStatus"], info["ApprovedVersionNumber"]) == ("COMPLETE", 1)
    history = client.describe_registration_versions(RegistrationId=registration_id)["RegistrationVersions"][0]["RegistrationVersionStatusHistory"]
    approved_after = (history["ApprovedTimestamp"] - history["SubmittedTimestamp"]).total_seconds()
    assert abs(approved_after - AUTO_APPROVE_SECONDS) < 0.01


def test_drafts_are_not_auto_approved(configured):
    client = make_client(configured, new_account_id())
    registration_id = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
    configured.advance_clock(AUTO_APPROVE_SECONDS + 1)
    assert client.describe_registrations(RegistrationIds=[registration_id])["Registrations"][0]["RegistrationStatus"] == "CREATED"


def _cli(server, *args):
    command = [sys.executable, "-m", "pigeon", "registration-review", *args, "--data-dir", str(server.data_dir)]
    if server.database_url:
        command += ["--database-url", server.database_url]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_cli_review_denies_and_approves(client, server):
    registration_id = submitted(client, BRAND)
    denied = _cli(server, registration_id, "--decision", "DENY", "--reason", "Website unreachable")
    assert denied.returncode == 0, denied.stderr
    assert json.loads(denied.stdout)["RegistrationStatus"] == "REQUIRES_UPDATES"
    version = client.describe_registration_versions(RegistrationId=registration_id)["RegistrationVersions"][0]
    assert version["DeniedReasons"][0]["Reason"] == "Website unreachable"
    again = _cli(server, registration_id, "--decision", "APPROVE")
    assert again.returncode == 1 and json.loads(again.stderr)["__type"] == "ConflictException"
    client.create_registration_version(RegistrationId=registration_id)
    client.submit_registration_version(RegistrationId=registration_id)
    approved = _cli(server, registration_id, "--decision", "APPROVE")
    assert json.loads(approved.stdout)["RegistrationStatus"] == "COMPLETE"
