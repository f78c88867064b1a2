"""Sending with a configuration set whose event destinations are a real moto_server's SNS, Firehose and
CloudWatch Logs: every matching record arrives, in order, and nothing else does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
import yaml

from tests.conftest import BACKENDS, make_client, new_account_id
from tests.inbound.support import wait_for
from tests.messaging.support import US_SUCCESS, final_events, simulator_number
from tests.support.moto import MotoServer
from tests.support.server import PigeonServer


@pytest.fixture(scope="module")
def moto():
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def wired_server(request, moto, database_factory, tmp_path_factory):
    directory: Path = tmp_path_factory.mktemp("wired")
    config = directory / "pigeon.yaml"
    config.write_text(yaml.safe_dump({"aws_endpoint_url": moto.url, "aws_access_key_id": "testing",
                                      "aws_secret_access_key": "testing"}))
    server = PigeonServer(database_factory(request.param), ["--config", str(config)], directory / "data").start()
    yield server
    server.stop()


def test_records_reach_sns_firehose_and_cloudwatch_logs(moto, wired_server):
    suffix = new_account_id()
    sns, sqs, s3, firehose, logs = (moto.client(name) for name in ("sns", "sqs", "s3", "firehose", "logs"))
    topic = sns.create_topic(Name=f"events-{suffix}")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"events-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    s3.create_bucket(Bucket=f"events-{suffix}")
    stream = firehose.create_delivery_stream(
        DeliveryStreamName=f"events-{suffix}",
        ExtendedS3DestinationConfiguration={"RoleARN": "arn:aws:iam::123456789012:role/f",
                                            "BucketARN": f"arn:aws:s3:::events-{suffix}"})["DeliveryStreamARN"]
    logs.create_log_group(logGroupName=f"events-{suffix}")

    client = make_client(wired_server, suffix)
    client.create_configuration_set(ConfigurationSetName="tracked")
    client.create_event_destination(ConfigurationSetName="tracked", EventDestinationName="sns",
                                    MatchingEventTypes=["TEXT_ALL"], SnsDestination={"TopicArn": topic})
    client.create_event_destination(ConfigurationSetName="tracked", EventDestinationName="firehose",
                                    MatchingEventTypes=["TEXT_DELIVERED"],
                                    KinesisFirehoseDestination={"IamRoleArn": "arn:aws:iam::123456789012:role/f",
                                                                "DeliveryStreamArn": stream})
    client.create_event_destination(
        ConfigurationSetName="tracked", EventDestinationName="logs", MatchingEventTypes=["ALL"],
        CloudWatchLogsDestination={"IamRoleArn": "arn:aws:iam::123456789012:role/f",
                                   "LogGroupArn": f"arn:aws:logs:us-east-1:123456789012:log-group:events-{suffix}"})
    client.create_event_destination(ConfigurationSetName="tracked", EventDestinationName="voice-only",
                                    MatchingEventTypes=["VOICE_ALL"], SnsDestination={"TopicArn": topic})

    number = simulator_number(client)
    message_id = client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="tracked",
                                          OriginationIdentity=number["PhoneNumberId"],
                                          ConfigurationSetName="tracked", Context={"k": "v"})["MessageId"]
    local = final_events(wired_server, message_id)
    assert [r["eventType"] for r in local] == ["TEXT_SUCCESSFUL", "TEXT_DELIVERED"]

    def from_sqs():
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        return [json.loads(m["Body"]) for m in got] or None

    received = []
    while len(received) < 2:
        received += wait_for(from_sqs)
    assert sorted(r["eventType"] for r in received) == ["TEXT_DELIVERED", "TEXT_SUCCESSFUL"]
    assert all(r["messageId"] == message_id and r["context"] == {"k": "v"} for r in received)
    assert {r["eventType"]: r for r in received} == {r["eventType"]: r for r in local}
    by_type = {r["eventType"]: list(r) for r in local}
    assert all(list(r) == by_type[r["eventType"]] for r in received)  # AWS's field order, on both backends

    keys = wait_for(lambda: [o["Key"] for o in s3.list_objects_v2(Bucket=f"events-{suffix}").get("Contents", [])])
    landed = [json.loads(line) for key in keys
              for line in s3.get_object(Bucket=f"events-{suffix}", Key=key)["Body"].read().decode().splitlines()]
    assert [r["eventType"] for r in landed] == ["TEXT_DELIVERED"]

    def from_logs():
        try:
            found = logs.get_log_events(logGroupName=f"events-{suffix}", logStreamName="pigeon-sms-voice-events")
        except logs.exceptions.ResourceNotFoundException:  # the first delivery creates the stream: not yet
            return None
        return found["events"] if len(found["events"]) >= 2 else None

    assert [json.loads(e["message"])["eventType"] for e in wait_for(from_logs)] == ["TEXT_SUCCESSFUL", "TEXT_DELIVERED"]
    done = requests.get(wired_server.url + "/_pigeon/deliveries", params={"account": suffix}, timeout=5).json()
    assert sorted(d["Status"] for d in done["Deliveries"]) == ["DONE"] * 5  # 2 SNS + 1 Firehose + 2 Logs


def test_a_failing_destination_never_blocks_sending(moto, wired_server):
    account = new_account_id()
    client = make_client(wired_server, account)
    client.create_configuration_set(ConfigurationSetName="broken")
    client.create_event_destination(ConfigurationSetName="broken", EventDestinationName="nowhere",
                                    MatchingEventTypes=["ALL"],
                                    SnsDestination={"TopicArn": "arn:aws:sns:us-east-1:123456789012:does-not-exist"})
    number = simulator_number(client)
    message_id = client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="still sent",
                                          OriginationIdentity=number["PhoneNumberId"],
                                          ConfigurationSetName="broken")["MessageId"]
    assert final_events(wired_server, message_id)[-1]["eventType"] == "TEXT_DELIVERED"

    def retried():
        found = requests.get(wired_server.url + "/_pigeon/deliveries", params={"account": account}, timeout=5).json()
        return [d for d in found["Deliveries"] if d["Attempts"] >= 1] or None

    failing = wait_for(retried)
    assert all(d["Status"] == "PENDING" and d["LastError"] for d in failing)
