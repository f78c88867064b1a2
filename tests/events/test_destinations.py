"""Event records delivered to a real moto_server: SNS (read back through SQS), Firehose (read back from S3),
CloudWatch Logs (read back with GetLogEvents); matching rules; failures surface as DeliveryError."""

from __future__ import annotations

import json
import time

import pytest

from pigeon.aws import AwsTarget
from pigeon.events.destinations import DeliveryError, EventPublisher, matches
from tests.support.moto import MotoServer

RECORD = {"eventType": "TEXT_DELIVERED", "eventVersion": "1.0", "eventTimestamp": 1700000000500, "isFinal": True,
          "messageId": "0f3c-test", "messageStatus": "DELIVERED", "context": {"order": "42"}}


@pytest.fixture(scope="module")
def moto():
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture
def publisher(moto):
    return EventPublisher(AwsTarget(moto.url, "testing", "testing"))


def _subscribed_queue(moto, name: str) -> tuple[str, str]:
    """An SNS topic and the SQS queue that receives its messages raw: (topic ARN, queue URL)."""
    sns, sqs = moto.client("sns"), moto.client("sqs")
    topic = sns.create_topic(Name=name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    return topic, queue_url


def _firehose_destination(moto, name: str) -> dict:
    """A delivery stream into a bucket of the same name, as an event destination."""
    moto.client("s3").create_bucket(Bucket=name)
    stream = moto.client("firehose").create_delivery_stream(
        DeliveryStreamName=name,
        ExtendedS3DestinationConfiguration={"RoleARN": "arn:aws:iam::123456789012:role/firehose",
                                            "BucketARN": f"arn:aws:s3:::{name}"},
    )["DeliveryStreamARN"]
    return {"KinesisFirehoseDestination": {"IamRoleArn": "arn:aws:iam::123456789012:role/x",
                                           "DeliveryStreamArn": stream}}


def _landed(moto, bucket: str) -> list[dict]:
    """The records the bucket holds, object by object, line by line."""
    s3 = moto.client("s3")
    return [json.loads(line) for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])
            for line in s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode().splitlines()]


def test_sns_destination_reaches_a_subscribed_queue(moto, publisher):
    sqs = moto.client("sqs")
    topic, queue_url = _subscribed_queue(moto, "sms-events")
    publisher.publish({"EventDestinationName": "sns", "SnsDestination": {"TopicArn": topic}}, RECORD)
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=2)["Messages"]
    assert json.loads(messages[0]["Body"]) == RECORD


def test_firehose_destination_lands_in_its_bucket(moto, publisher):
    publisher.publish(_firehose_destination(moto, "sms-events"), RECORD)
    assert _landed(moto, "sms-events") == [RECORD]


def test_cloudwatch_logs_destination_writes_a_log_event(moto, publisher):
    logs = moto.client("logs")
    logs.create_log_group(logGroupName="sms-events")
    group_arn = "arn:aws:logs:us-east-1:123456789012:log-group:sms-events:*"
    destination = {"CloudWatchLogsDestination": {"IamRoleArn": "arn:aws:iam::123456789012:role/x", "LogGroupArn": group_arn}}
    now_ms = int(time.time() * 1000)
    publisher.publish(destination, {**RECORD, "eventTimestamp": now_ms})
    publisher.publish(destination, {**RECORD, "eventTimestamp": now_ms + 1, "messageId": "second"})
    events = logs.get_log_events(logGroupName="sms-events", logStreamName="pigeon-sms-voice-events")["events"]
    assert [json.loads(e["message"])["messageId"] for e in events] == ["0f3c-test", "second"]
    assert events[0]["timestamp"] == now_ms


def test_missing_target_raises_delivery_error(publisher):
    with pytest.raises(DeliveryError):
        publisher.publish({"SnsDestination": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:nope"}}, RECORD)
    with pytest.raises(DeliveryError):
        publisher.publish({"KinesisFirehoseDestination": {"IamRoleArn": "x", "DeliveryStreamArn":
                           "arn:aws:firehose:us-east-1:123456789012:deliverystream/nope"}}, RECORD)


def test_unreachable_endpoint_raises_delivery_error():
    from tests.support.postgres import free_port

    publisher = EventPublisher(AwsTarget(f"http://127.0.0.1:{free_port()}", "testing", "testing"))
    with pytest.raises(DeliveryError):
        publisher.publish({"SnsDestination": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t"}}, RECORD)


@pytest.mark.parametrize("types,event_type,expected", [
    (["ALL"], "VOICE_COMPLETED", True),
    (["TEXT_ALL"], "TEXT_DELIVERED", True),
    (["TEXT_ALL"], "MEDIA_DELIVERED", False),
    (["TEXT_DELIVERED"], "TEXT_DELIVERED", True),
    (["TEXT_DELIVERED"], "TEXT_SUCCESSFUL", False),
    (["MEDIA_ALL"], "MEDIA_FILE_TYPE_UNSUPPORTED", True),
])
def test_matching_event_types(types, event_type, expected):
    assert matches({"Enabled": True, "MatchingEventTypes": types}, event_type) is expected
    assert matches({"Enabled": False, "MatchingEventTypes": types}, event_type) is False


def _logs_destination(region: str, group: str) -> dict:
    return {"CloudWatchLogsDestination": {"IamRoleArn": "arn:aws:iam::123456789012:role/x",
                                          "LogGroupArn": f"arn:aws:logs:{region}:123456789012:log-group:{group}"}}


def _logged(moto, region: str, group: str) -> list[str]:
    found = moto.client("logs", region).get_log_events(logGroupName=group, logStreamName="pigeon-sms-voice-events")
    return [json.loads(event["message"])["messageId"] for event in found["events"]]


def test_cloudwatch_logs_groups_of_one_name_in_two_regions_each_get_their_stream(moto, publisher):
    now_ms = int(time.time() * 1000)
    for region in ("us-east-1", "eu-west-1"):
        moto.client("logs", region).create_log_group(logGroupName="twin-events")
        publisher.publish(_logs_destination(region, "twin-events"), {**RECORD, "eventTimestamp": now_ms,
                                                                     "messageId": region})
    assert [_logged(moto, region, "twin-events") for region in ("us-east-1", "eu-west-1")] == [["us-east-1"],
                                                                                              ["eu-west-1"]]


def test_cloudwatch_logs_stream_is_created_again_after_its_group_was_recreated(moto, publisher):
    logs, destination = moto.client("logs"), _logs_destination("us-east-1", "recreated-events")
    now_ms = int(time.time() * 1000)
    logs.create_log_group(logGroupName="recreated-events")
    publisher.publish(destination, {**RECORD, "eventTimestamp": now_ms, "messageId": "before"})
    logs.delete_log_group(logGroupName="recreated-events")
    logs.create_log_group(logGroupName="recreated-events")
    with pytest.raises(DeliveryError):  # this attempt finds the stream gone ...
        publisher.publish(destination, {**RECORD, "eventTimestamp": now_ms, "messageId": "after"})
    publisher.publish(destination, {**RECORD, "eventTimestamp": now_ms, "messageId": "after"})  # ... the retry makes it
    assert _logged(moto, "us-east-1", "recreated-events") == ["after"]


def _numbered(count: int, now_ms: int) -> list[dict]:
    return [{**RECORD, "eventTimestamp": now_ms + n, "messageId": f"m{n}"} for n in range(count)]


def test_a_batch_reaches_sns_in_calls_of_ten(moto, publisher):
    sqs = moto.client("sqs")
    topic, queue_url = _subscribed_queue(moto, "batched-events")
    records = _numbered(23, int(time.time() * 1000))
    assert publisher.publish_batch({"SnsDestination": {"TopicArn": topic}}, records) == [None] * 23
    received: list[str] = []
    while len(received) < 23:
        found = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        assert found, received
        received += [json.loads(message["Body"])["messageId"] for message in found]
    assert sorted(received) == sorted(record["messageId"] for record in records)


def test_a_batch_reaches_firehose_in_one_call(moto, publisher):
    records = _numbered(12, int(time.time() * 1000))
    assert publisher.publish_batch(_firehose_destination(moto, "batched-events"), records) == [None] * 12
    assert [r["messageId"] for r in _landed(moto, "batched-events")] == [record["messageId"] for record in records]


def test_a_batch_reaches_cloudwatch_logs_in_time_order(moto, publisher):
    moto.client("logs").create_log_group(logGroupName="batched-events")
    now_ms = int(time.time() * 1000)
    records = [*_numbered(5, now_ms + 10), *_numbered(1, now_ms)]  # the last one is the earliest
    records[-1]["messageId"] = "earliest"
    assert publisher.publish_batch(_logs_destination("us-east-1", "batched-events"), records) == [None] * 6
    assert _logged(moto, "us-east-1", "batched-events") == ["earliest", "m0", "m1", "m2", "m3", "m4"]


def test_a_failed_batch_call_fails_its_records_and_every_later_one(publisher):
    errors = publisher.publish_batch({"SnsDestination": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:nope"}},
                                     _numbered(12, int(time.time() * 1000)))
    assert len(errors) == 12 and all(error and "NotFound" in error for error in errors)
    assert publisher.publish_batch({"EventDestinationName": "empty"}, [RECORD]) == ["the event destination has no destination"]


def test_firehose_falls_back_to_put_record_when_batches_are_denied(moto, publisher):
    """AWS's guide gives an event destination's role firehose:PutRecord only. IAM cannot be reached from here, so
    the denial of PutRecordBatch is stubbed on the publisher's own client; each PutRecord then goes to moto."""
    from botocore.exceptions import ClientError

    destination = _firehose_destination(moto, "put-record-only")
    denials: list[int] = []

    def denied(**kwargs):
        denials.append(len(kwargs["Records"]))
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, "PutRecordBatch")

    publisher._client("firehose", "us-east-1").put_record_batch = denied
    assert publisher.publish_batch(destination, _numbered(3, int(time.time() * 1000))) == [None] * 3
    assert publisher.publish_batch(destination, _numbered(2, int(time.time() * 1000))) == [None] * 2
    assert denials == [3]  # asked once; PutRecord from then on
    assert sorted(r["messageId"] for r in _landed(moto, "put-record-only")) == ["m0", "m0", "m1", "m1", "m2"]
