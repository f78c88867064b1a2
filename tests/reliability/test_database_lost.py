"""The database goes away mid-run and comes back: while PostgreSQL is down every request gets a clear
AWS-shaped error quickly (no hang, no crash of the process); once it is back, requests and deliveries go on
without a restart of Pigeon, and what was accepted before is delivered."""

from __future__ import annotations

import time
from pathlib import Path

import requests

from tests.conftest import make_client, new_account_id
from tests.messaging.support import US_SUCCESS, events, messages, simulator_number
from tests.support.postgres import ThrowawayPostgres
from tests.support.server import PigeonServer

TARGET = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "PinpointSMSVoiceV2.DescribeAccountLimits"}


def _pg_ctl(cluster: ThrowawayPostgres, *args: str) -> None:
    cluster._run(cluster.bin / "pg_ctl", "-D", cluster.root / "data", *args)


def test_postgresql_down_and_back_is_a_clear_error_then_recovery(tmp_path: Path):
    cluster = ThrowawayPostgres().start()
    server = PigeonServer(cluster.create_database("lost"), data_dir=tmp_path / "data").start()
    try:
        client = make_client(server, new_account_id())
        origination = simulator_number(client)["PhoneNumberId"]
        before = client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="before",
                                          OriginationIdentity=origination)["MessageId"]
        _pg_ctl(cluster, "-m", "immediate", "-w", "stop")
        for _ in range(3):
            started = time.monotonic()
            response = requests.post(server.url + "/", data=b"{}", headers=TARGET, timeout=30)
            assert time.monotonic() - started < 15
            assert response.status_code >= 500 and response.json()["__type"] in (
                "InternalServerException", "ServiceUnavailableException"), response.text
            assert "message" in response.json()
        assert server.process is not None and server.process.poll() is None  # still running
        options = f"-p {cluster.port} -k {cluster.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        _pg_ctl(cluster, "-o", options, "-l", str(cluster.root / "log"), "-w", "start")
        deadline = time.monotonic() + 30
        while requests.post(server.url + "/", data=b"{}", headers=TARGET, timeout=30).status_code != 200:
            assert time.monotonic() < deadline, "no recovery within 30 s"
            time.sleep(0.2)
        after = client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="after",
                                         OriginationIdentity=origination)["MessageId"]
        deadline = time.monotonic() + 10  # well within the 30 s lease: the failed cycle's messages are retaken
        while not all(any(e["isFinal"] for e in events(server, message_id=m)) for m in (before, after)):
            assert time.monotonic() < deadline, f"deliveries did not resume: {messages(server)}"
            time.sleep(0.2)
    finally:
        server.stop()
        cluster.stop()
