"""The dispatcher's policy on a dedicated server: simulator rules, retries on transient carrier errors, TTL
expiry judged by the server's clock, MPS per identity, the configured failure status."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import make_client, new_account_id
from tests.messaging.support import US_FAILURE, US_SUCCESS, events, final_events, messages, simulator_number
from tests.support.server import PigeonServer

SETTINGS = {
    "simulator_rules": [
        {"prefix": "+4474001", "status": "UNREACHABLE"},
        {"prefix": "+4474002", "transient": True},
        {"prefix": "+4474003", "status": "BUSY"},
    ],
    "simulator_failure_status": "CARRIER_UNREACHABLE",
    "mps": {"SENDER_ID": 2},
}


@pytest.fixture(scope="module")
def rules_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PigeonServer]:
    directory: Path = tmp_path_factory.mktemp("rules")
    config = directory / "pigeon.yaml"
    config.write_text(yaml.safe_dump(SETTINGS))
    server = PigeonServer(None, ["--config", str(config)], data_dir=directory / "data").start()
    yield server
    server.stop()


@pytest.fixture
def rules_client(rules_server: PigeonServer) -> Any:
    return make_client(rules_server, new_account_id())


def _sender(client: Any) -> str:
    return client.request_sender_id(SenderId="ACME", IsoCountryCode="GB")["SenderIdArn"]


def test_prefix_rule_fails_with_its_status(rules_server, rules_client):
    message_id = rules_client.send_text_message(DestinationPhoneNumber="+447400123456", MessageBody="x",
                                                OriginationIdentity=_sender(rules_client))["MessageId"]
    [record] = final_events(rules_server, message_id)
    assert (record["eventType"], record["isFinal"]) == ("TEXT_UNREACHABLE", True)


def test_a_rule_of_a_voice_status_leaves_texts_to_be_delivered(rules_server, rules_client):
    message_id = rules_client.send_text_message(DestinationPhoneNumber="+447400312345", MessageBody="x",
                                                OriginationIdentity=_sender(rules_client))["MessageId"]
    assert [r["eventType"] for r in final_events(rules_server, message_id)] == ["TEXT_SUCCESSFUL", "TEXT_DELIVERED"]


@pytest.mark.parametrize("variable, value, message", [
    ("PIGEON_SIMULATOR_RULES", '[{prefix: "+44", status: BUSYY}]', "status BUSYY is no carrier failure"),
    ("PIGEON_SIMULATOR_FAILURE_STATUS", "busy", "simulator_failure_status busy: not a text carrier failure"),
])
def test_a_bad_simulator_setting_stops_the_server_with_one_line(tmp_path, variable, value, message):
    done = subprocess.run([sys.executable, "-m", "pigeon", "serve", "--data-dir", str(tmp_path), "--port", "0"],
                          capture_output=True, text=True, timeout=30, env={**os.environ, variable: value})
    assert done.returncode == 1
    assert done.stderr.startswith("pigeon: ") and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_configured_failure_status_for_the_failure_number(rules_server, rules_client):
    number = simulator_number(rules_client)
    message_id = rules_client.send_text_message(DestinationPhoneNumber=US_FAILURE, MessageBody="x",
                                                OriginationIdentity=number["PhoneNumberId"])["MessageId"]
    assert [r["eventType"] for r in final_events(rules_server, message_id)] == ["TEXT_CARRIER_UNREACHABLE"]


def test_transient_errors_are_retried_until_the_ttl_expires(rules_server, rules_client):
    message_id = rules_client.send_text_message(DestinationPhoneNumber="+447400212345", MessageBody="x",
                                                OriginationIdentity=_sender(rules_client),
                                                TimeToLive=60)["MessageId"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        [message] = [m for m in messages(rules_server) if m["MessageId"] == message_id]
        if message["Attempts"] >= 2:
            break
        time.sleep(0.1)
    assert message["Attempts"] >= 2 and message["Status"] == "QUEUED"
    assert events(rules_server, message_id=message_id) == []
    rules_server.advance_clock(61)
    [record] = final_events(rules_server, message_id)
    assert (record["eventType"], record["messageStatus"], record["isFinal"]) == ("TEXT_TTL_EXPIRED",
                                                                                "TTL_EXPIRED", True)
    assert record["messageStatusDescription"] == "The delivery TTL has expired"
    assert record["totalMessagePrice"] == 0.0
    [message] = [m for m in messages(rules_server) if m["MessageId"] == message_id]
    assert message["Status"] == "EXPIRED"


def test_each_identity_is_held_to_its_mps(rules_server, rules_client):
    """2 MPS for sender IDs: 8 one-part messages take at least 2.5 s after the one-second burst."""
    sender = _sender(rules_client)
    ids = [rules_client.send_text_message(DestinationPhoneNumber="+447400312345", MessageBody=str(n),
                                          OriginationIdentity=sender)["MessageId"] for n in range(8)]
    stamps = sorted(final_events(rules_server, message_id)[0]["eventTimestamp"] for message_id in ids)
    assert (stamps[-1] - stamps[0]) / 1000 >= 2.4
    assert all(b - a < 2000 for a, b in zip(stamps, stamps[1:], strict=False))


def test_success_still_delivers_with_rules(rules_server, rules_client):
    number = simulator_number(rules_client)
    message_id = rules_client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="x",
                                                OriginationIdentity=number["PhoneNumberId"])["MessageId"]
    assert final_events(rules_server, message_id)[-1]["eventType"] == "TEXT_DELIVERED"


def test_mps_is_per_identity_of_each_account(rules_server):
    """Two accounts' sender IDs named alike are two identities: 3 + 3 messages fit both bursts at once
    (one shared line would spread the six over 1.5 s)."""
    clients = [make_client(rules_server, new_account_id()) for _ in range(2)]
    senders = [_sender(client) for client in clients]
    ids = [client.send_text_message(DestinationPhoneNumber="+447400412345", MessageBody=str(n),
                                    OriginationIdentity=sender)["MessageId"]
           for n in range(3) for client, sender in zip(clients, senders, strict=True)]
    stamps = sorted(final_events(rules_server, message_id)[0]["eventTimestamp"] for message_id in ids)
    assert (stamps[-1] - stamps[0]) / 1000 < 1.2
