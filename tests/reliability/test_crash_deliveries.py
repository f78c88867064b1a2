"""kill -9 during two-way forwarding: every inbound message the server answered 200 reaches the webhook
after a restart (at least once; the receiver de-duplicates on inboundMessageId), none is lost. Both backends."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from tests.conftest import BACKENDS, make_client, new_account_id
from tests.support.server import PigeonServer


class SlowReceiver(http.server.BaseHTTPRequestHandler):
    """A webhook that takes 20 ms an inbound message, so a backlog is queued when the server dies."""

    seen: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(0.02)
        SlowReceiver.seen.append(json.loads(body)["inboundMessageId"])
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    SlowReceiver.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_during_forwarding_loses_no_inbound_message(backend, database_factory, webhook, tmp_path: Path):
    config = tmp_path / "pigeon.yaml"
    config.write_text(yaml.safe_dump({"inbound_webhook_url": webhook, "inbound_webhook_secret": "s"}))
    server = PigeonServer(database_factory(backend), ["--config", str(config)], data_dir=tmp_path / "data").start()
    try:
        client = make_client(server, new_account_id())
        number = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                             NumberCapabilities=["SMS"], NumberType="SIMULATOR")["PhoneNumber"]
        accepted: list[str] = []
        for n in range(150):
            response = requests.post(server.url + "/_pigeon/inbound", timeout=10, json={
                "OriginationNumber": f"+1206555{n:04d}", "DestinationNumber": number, "MessageBody": f"hi {n}"})
            assert response.status_code == 200, response.text
            accepted.append(response.json()["InboundMessageId"])
        assert len(set(SlowReceiver.seen)) < len(accepted)  # a backlog is still queued
        server.stop(kill=True)
        server.start()
        server.advance_clock(61)  # the dead process's claims: their 60 s lease runs out (the injected clock)
        deadline = time.monotonic() + 60
        while set(accepted) - set(SlowReceiver.seen) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert set(accepted) - set(SlowReceiver.seen) == set()
    finally:
        server.stop()


def test_kill_during_event_destination_delivery_loses_no_record(database_factory, tmp_path: Path):
    """An SNS event destination (a real moto_server) subscribed by an SQS queue: every accepted message's
    TEXT_DELIVERED record arrives after kill -9 and a restart (at least once)."""
    from tests.support.moto import MotoServer

    moto = MotoServer().start()
    try:
        sns, sqs = moto.client("sns"), moto.client("sqs")
        topic = sns.create_topic(Name="crash-events")["TopicArn"]
        queue_url = sqs.create_queue(QueueName="crash-events")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
        config = tmp_path / "pigeon.yaml"
        config.write_text(yaml.safe_dump({"aws_endpoint_url": moto.url, "aws_access_key_id": "testing",
                                          "aws_secret_access_key": "testing", "mps": {"SIMULATOR": 10000}}))
        server = PigeonServer(database_factory("sqlite"), ["--config", str(config)], data_dir=tmp_path / "data").start()
        try:
            client = make_client(server, new_account_id())
            client.create_configuration_set(ConfigurationSetName="tracked")
            client.create_event_destination(ConfigurationSetName="tracked", EventDestinationName="sns",
                                            MatchingEventTypes=["TEXT_DELIVERED"], SnsDestination={"TopicArn": topic})
            origination = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                                      NumberCapabilities=["SMS"], NumberType="SIMULATOR")["PhoneNumberId"]
            accepted = [client.send_text_message(DestinationPhoneNumber="+14254147755", MessageBody=f"tracked {n}",
                                                 OriginationIdentity=origination,
                                                 ConfigurationSetName="tracked")["MessageId"] for n in range(150)]
            pending = requests.get(server.url + "/_pigeon/deliveries", params={"status": "PENDING"}, timeout=10)
            server.stop(kill=True)
            server.start()
            server.advance_clock(61)  # the dead process's delivery claims: their lease runs out
            arrived: set[str] = set()
            deadline = time.monotonic() + 60
            while set(accepted) - arrived and time.monotonic() < deadline:
                for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                                   WaitTimeSeconds=1).get("Messages", []):
                    arrived.add(json.loads(message["Body"])["messageId"])
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            assert set(accepted) - arrived == set()
            assert len(pending.json()["Deliveries"]) > 0  # the kill left records to deliver (81-149 in trials)
        finally:
            server.stop()
    finally:
        moto.stop()
