"""Two-way forwarding read back from real peers: a moto_server SNS topic through an SQS subscription, and a
local webhook receiver that verifies the signature. Forwards are durable deliveries: retried, and kept
across a crash of the server."""

from __future__ import annotations

import http.server
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import yaml

from pigeon.inbound.webhook import DELIVERY_HEADER, SIGNATURE_HEADER, verify_signature
from tests.conftest import BACKENDS, make_client, new_account_id
from tests.inbound.support import HANDSET, inbound, inbound_list, messages, us_number, wait_for
from tests.support.moto import MotoServer
from tests.support.server import PigeonServer

SECRET = "inbound-webhook-secret"


class Hook(http.server.BaseHTTPRequestHandler):
    """A webhook receiver: 401 to a bad signature; 503 to a message body in ``failing`` (as many times as it
    says), then 200."""

    accepted: list[tuple[dict[str, str], dict[str, Any]]] = []
    attempts: list[str] = []
    failing: dict[str, int] = {}

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.attempts.append(self.headers[DELIVERY_HEADER])
        if not verify_signature(SECRET, self.headers[SIGNATURE_HEADER], body):
            status = 401
        elif Hook.failing.get(json.loads(body)["messageBody"], 0) > 0:
            Hook.failing[json.loads(body)["messageBody"]] -= 1
            status = 503
        else:
            Hook.accepted.append((dict(self.headers), json.loads(body)))
            status = 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def hook_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/inbound"
    server.shutdown()


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def pigeon(request: pytest.FixtureRequest, database_factory: Callable[[str], str | None], moto: MotoServer,
           hook_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PigeonServer]:
    config = tmp_path_factory.mktemp("two-way") / "pigeon.yaml"
    config.write_text(yaml.safe_dump({
        "aws_endpoint_url": moto.url, "aws_access_key_id": "testing", "aws_secret_access_key": "testing",
        "inbound_webhook_url": hook_url, "inbound_webhook_secret": SECRET,
    }))
    server = PigeonServer(database_factory(request.param), ["--config", str(config)]).start()
    yield server
    server.stop()


@pytest.fixture
def account(pigeon: PigeonServer) -> tuple[Any, str]:
    account_id = new_account_id()
    return make_client(pigeon, account_id), account_id


def topic_with_queue(moto: MotoServer) -> tuple[str, str]:
    """A new SNS topic with an SQS queue subscribed to it: (topic ARN, queue URL)."""
    name = f"two-way-{uuid.uuid4().hex[:12]}"
    sns, sqs = moto.client("sns"), moto.client("sqs")
    topic_arn = sns.create_topic(Name=name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return topic_arn, queue_url


def published(moto: MotoServer, queue_url: str, topic_arn: str) -> dict[str, Any]:
    """The one inbound message published to the topic, out of its SNS envelope."""
    sqs = moto.client("sqs")

    def receive() -> list[dict[str, Any]]:
        return sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages", [])

    [delivered] = wait_for(receive)
    envelope = json.loads(delivered["Body"])
    assert (envelope["Type"], envelope["TopicArn"]) == ("Notification", topic_arn)
    return dict(json.loads(envelope["Message"]))


def accepted_by_hook(inbound_message_id: str) -> dict[str, Any]:
    """The webhook body the receiver accepted for this inbound message, with its delivery id header."""
    def find() -> dict[str, Any] | None:
        for headers, body in Hook.accepted:
            if body["inboundMessageId"] == inbound_message_id:
                return {**body, "_delivery": headers[DELIVERY_HEADER]}
        return None

    return wait_for(find)


def forward_statuses(pigeon: PigeonServer, account_id: str) -> Callable[[], list[str] | None]:
    def statuses() -> list[str] | None:
        found = [f["Status"] for m in inbound_list(pigeon, account=account_id) for f in m["Forwarded"]]
        return found if found and all(status == "DONE" for status in found) else None

    return statuses


def test_two_way_number_publishes_to_its_sns_topic_and_the_webhook(pigeon, moto, account):
    client, account_id = account
    topic_arn, queue_url = topic_with_queue(moto)
    number = us_number(client, pigeon)
    client.update_phone_number(PhoneNumberId=number["PhoneNumberId"], TwoWayEnabled=True, TwoWayChannelArn=topic_arn)
    previous = client.send_text_message(OriginationIdentity=number["PhoneNumberId"], DestinationPhoneNumber=HANDSET,
                                        MessageBody="Reply YES to confirm")["MessageId"]
    result = inbound(pigeon, HANDSET, number["PhoneNumber"], "Yes, confirm")
    expected = {"originationNumber": HANDSET, "destinationNumber": number["PhoneNumber"],
                "messageKeyword": f"KEYWORD_{account_id}", "messageBody": "Yes, confirm",
                "inboundMessageId": result["InboundMessageId"], "previousPublishedMessageId": previous}
    assert published(moto, queue_url, topic_arn) == expected
    by_hook = accepted_by_hook(result["InboundMessageId"])
    assert {key: value for key, value in by_hook.items() if key != "_delivery"} == expected
    assert [f["Kind"] for f in result["Forwarded"]] == ["sns", "webhook"]
    assert by_hook["_delivery"] == result["Forwarded"][1]["DeliveryId"]
    assert wait_for(forward_statuses(pigeon, account_id)) == ["DONE", "DONE"]
    stored = requests.get(pigeon.url + "/_pigeon/deliveries", params={"account": account_id}, timeout=10)
    assert len(stored.json()["Deliveries"]) == 2 and SECRET not in stored.text  # the secret is never stored


def test_pool_two_way_and_keywords_apply_to_its_numbers(pigeon, moto, account):
    client, account_id = account
    topic_arn, queue_url = topic_with_queue(moto)
    number = us_number(client, pigeon)
    pool = client.create_pool(OriginationIdentity=number["PhoneNumberId"], IsoCountryCode="US",
                              MessageType="TRANSACTIONAL")
    client.update_pool(PoolId=pool["PoolId"], TwoWayEnabled=True, TwoWayChannelArn=topic_arn)
    client.put_keyword(OriginationIdentity=pool["PoolId"], Keyword="JOIN", KeywordMessage="Welcome!")
    result = inbound(pigeon, HANDSET, number["PhoneNumber"], "JOIN the club")
    message = published(moto, queue_url, topic_arn)
    assert (message["messageKeyword"], message["messageBody"]) == ("JOIN", "JOIN the club")
    assert "previousPublishedMessageId" not in message  # nothing was sent to the handset before
    [reply] = messages(pigeon, account=account_id, destination=HANDSET)
    assert (reply["MessageId"], reply["MessageBody"]) == (result["ResponseMessageId"], "Welcome!")


def test_self_managed_opt_outs_forward_stop_without_changing_the_list(pigeon, moto, account):
    client, account_id = account
    topic_arn, queue_url = topic_with_queue(moto)
    number = us_number(client, pigeon)
    client.update_phone_number(PhoneNumberId=number["PhoneNumberId"], TwoWayEnabled=True, TwoWayChannelArn=topic_arn,
                               SelfManagedOptOutsEnabled=True)
    stop = inbound(pigeon, HANDSET, number["PhoneNumber"], "STOP")
    assert (stop["OptOut"], stop["ResponseMessageId"], stop["ResponseSkipped"]) == (None, None,
                                                                                  "SELF_MANAGED_OPT_OUTS")
    message = published(moto, queue_url, topic_arn)
    assert (message["messageKeyword"], message["messageBody"]) == ("STOP", "STOP")
    assert accepted_by_hook(stop["InboundMessageId"])["messageKeyword"] == "STOP"
    assert client.describe_opted_out_numbers(OptOutListName="Default")["OptedOutNumbers"] == []
    inbound(pigeon, HANDSET, number["PhoneNumber"], "HELP")
    assert messages(pigeon, account=account_id) == []  # neither STOP nor HELP was answered
    client.send_text_message(OriginationIdentity=number["PhoneNumberId"], DestinationPhoneNumber=HANDSET,
                             MessageBody="still allowed")


def test_webhook_is_retried_until_the_receiver_accepts(pigeon, account):
    client, account_id = account
    number = us_number(client, pigeon)
    Hook.failing["hello"] = 2
    result = inbound(pigeon, HANDSET, number["PhoneNumber"], "hello")
    [forward] = result["Forwarded"]
    assert (forward["Kind"], forward["Status"]) == ("webhook", "PENDING")  # the answer says it is queued
    assert accepted_by_hook(result["InboundMessageId"])["messageBody"] == "hello"
    assert Hook.attempts.count(forward["DeliveryId"]) == 3
    assert wait_for(forward_statuses(pigeon, account_id)) == ["DONE"]


def test_forwards_survive_a_crash(pigeon, account):
    client, account_id = account
    number = us_number(client, pigeon)
    Hook.failing["before the crash"] = 10_000
    result = inbound(pigeon, HANDSET, number["PhoneNumber"], "before the crash")
    [forward] = result["Forwarded"]
    wait_for(lambda: forward["DeliveryId"] in Hook.attempts)
    pigeon.stop(kill=True)
    Hook.failing["before the crash"] = 0
    pigeon.start()
    pigeon.advance_clock(700)  # past any retry backoff (at most 600 s) and the lease of a claim the crash cut off
    assert accepted_by_hook(result["InboundMessageId"])["messageBody"] == "before the crash"
    assert wait_for(forward_statuses(pigeon, account_id)) == ["DONE"]


def test_a_channel_that_is_not_an_sns_topic_is_not_forwarded_there(pigeon, account):
    client, _ = account
    number = us_number(client, pigeon)
    connect = "arn:aws:connect:us-east-1:123456789012:instance/11111111-2222-3333-4444-555555555555"
    client.update_phone_number(PhoneNumberId=number["PhoneNumberId"], TwoWayEnabled=True, TwoWayChannelArn=connect)
    result = inbound(pigeon, HANDSET, number["PhoneNumber"], "hi")
    assert [f["Kind"] for f in result["Forwarded"]] == ["webhook"]
    assert connect in result["ForwardingSkipped"]
