"""Crash test: kill -9 the server during a burst of sends, start it again, and every accepted MessageId
reaches exactly one final event in the local event log."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError, EndpointConnectionError
from urllib3.exceptions import HTTPError

from tests.conftest import BACKENDS, make_client, new_account_id
from tests.messaging.support import US_FAILURE, US_SUCCESS, events, simulator_number
from tests.support.server import PigeonServer

SENDERS = 4
PER_SENDER = 100


def _burst(client: Any, origination: str, accepted: list[str], stop: threading.Event) -> None:
    for n in range(PER_SENDER):
        if stop.is_set():
            return
        destination = US_FAILURE if n % 10 == 0 else US_SUCCESS
        try:
            response = client.send_text_message(DestinationPhoneNumber=destination, MessageBody=f"burst {n}",
                                                OriginationIdentity=origination)
        except (ClientError, EndpointConnectionError, HTTPError, ConnectionError, OSError):
            return
        except Exception:  # noqa: BLE001 - botocore wraps a dropped connection in several ways
            return
        accepted.append(response["MessageId"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_during_burst_loses_no_accepted_message(backend, database_factory, tmp_path: Path):
    config = tmp_path / "pigeon.yaml"
    config.write_text(yaml.safe_dump({"dispatch_lease_seconds": 2, "mps": {"SIMULATOR": 10000}}))
    server = PigeonServer(database_factory(backend), ["--config", str(config)], data_dir=tmp_path / "data").start()
    try:
        account_id = new_account_id()
        client = make_client(server, account_id)
        origination = simulator_number(client)["PhoneNumberId"]
        accepted: list[str] = []
        stop = threading.Event()
        threads = [threading.Thread(target=_burst, args=(make_client(server, account_id), origination,
                                                          accepted, stop)) for _ in range(SENDERS)]
        for thread in threads:
            thread.start()
        while len(accepted) < SENDERS * PER_SENDER // 2:
            time.sleep(0.005)
        server.stop(kill=True)
        stop.set()
        for thread in threads:
            thread.join(30)
        assert len(accepted) >= SENDERS * PER_SENDER // 2
        server.start()
        finals = _wait_for_finals(server, account_id, set(accepted))
        assert all(finals[message_id] == 1 for message_id in accepted), "a message has two final events"
    finally:
        server.stop()


def _wait_for_finals(server: PigeonServer, account_id: str, wanted: set[str], timeout: float = 30) -> Counter[str]:
    deadline = time.monotonic() + timeout
    while True:
        finals = Counter(e["messageId"] for e in events(server, account=account_id) if e["isFinal"])
        missing = wanted - set(finals)
        if not missing or time.monotonic() > deadline:
            assert not missing, f"{len(missing)} accepted messages never reached a final event"
            return finals
        time.sleep(0.2)
