"""Deliver event records to a configuration set's event destinations through boto3.

CloudWatch Logs (PutLogEvents), Kinesis Data Firehose (PutRecord) and SNS (Publish), at a configurable AWS
endpoint and credentials (real AWS, LocalStack or moto). Which records go where: an enabled destination
whose MatchingEventTypes include the record's type, ``ALL``, or its channel's ``*_ALL``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from botocore.exceptions import BotoCoreError, ClientError

from pigeon.aws import AwsClients, AwsTarget


class DeliveryError(Exception):
    """A destination refused or could not be reached; the caller retries later."""


def matches(destination: Mapping[str, Any], event_type: str) -> bool:
    """Whether an event destination wants a record of ``event_type`` (e.g. TEXT_DELIVERED)."""
    if not destination.get("Enabled", True):
        return False
    wanted = set(destination.get("MatchingEventTypes", []))
    channel = event_type.split("_", 1)[0]
    return bool(wanted & {"ALL", f"{channel}_ALL", event_type})


def _arn_region_and_resource(arn: str) -> tuple[str, str]:
    """(region, resource) of a generic ARN ``arn:partition:service:region:account:resource``."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or not parts[3]:
        raise DeliveryError(f"not a regional ARN: {arn}")
    return parts[3], parts[5]


class EventPublisher:
    """Sends one record to one destination."""

    def __init__(self, target: AwsTarget) -> None:
        self._aws = AwsClients(target)
        self._known_streams: set[tuple[str, str, str]] = set()
        """(region, log group, log stream) created already: a log group's name is only unique in its region."""

    def _client(self, service: str, region: str) -> Any:
        return self._aws.client(service, region)

    def publish(self, destination: Mapping[str, Any], record: Mapping[str, Any]) -> None:
        """Deliver ``record`` to ``destination`` (an EventDestination in wire shape) or raise DeliveryError."""
        body = orjson.dumps(record).decode()
        try:
            if "SnsDestination" in destination:
                self._to_sns(destination["SnsDestination"]["TopicArn"], body)
            elif "KinesisFirehoseDestination" in destination:
                self._to_firehose(destination["KinesisFirehoseDestination"]["DeliveryStreamArn"], body)
            elif "CloudWatchLogsDestination" in destination:
                self._to_logs(destination["CloudWatchLogsDestination"]["LogGroupArn"], body, record)
            else:
                raise DeliveryError("the event destination has no destination")
        except (ClientError, BotoCoreError) as error:
            raise DeliveryError(str(error)) from error

    def _to_sns(self, topic_arn: str, body: str) -> None:
        region, _ = _arn_region_and_resource(topic_arn)
        self._client("sns", region).publish(TopicArn=topic_arn, Message=body)

    def _to_firehose(self, stream_arn: str, body: str) -> None:
        region, resource = _arn_region_and_resource(stream_arn)
        name = resource.split("/", 1)[-1]
        self._client("firehose", region).put_record(DeliveryStreamName=name, Record={"Data": (body + "\n").encode()})

    def _to_logs(self, group_arn: str, body: str, record: Mapping[str, Any]) -> None:
        region, resource = _arn_region_and_resource(group_arn)
        group = resource.split(":", 1)[-1].removesuffix(":*")
        stream = "pigeon-sms-voice-events"
        client = self._client("logs", region)
        known = (region, group, stream)
        if known not in self._known_streams:
            try:
                client.create_log_stream(logGroupName=group, logStreamName=stream)
            except client.exceptions.ResourceAlreadyExistsException:
                pass
            self._known_streams.add(known)
        timestamp = int(record.get("eventTimestamp") or 0)
        try:
            answer = client.put_log_events(logGroupName=group, logStreamName=stream,
                                           logEvents=[{"timestamp": timestamp, "message": body}])
        except client.exceptions.ResourceNotFoundException:
            self._known_streams.discard(known)  # the stream (or its group) was deleted: the retry creates it
            raise
        if answer.get("rejectedLogEventsInfo"):
            raise DeliveryError(f"CloudWatch Logs rejected the event: {answer['rejectedLogEventsInfo']}")

