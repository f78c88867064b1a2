"""Deliver event records to a configuration set's event destinations through boto3.

CloudWatch Logs (PutLogEvents), Kinesis Data Firehose (PutRecord, PutRecordBatch) and SNS (Publish,
PublishBatch), at a configurable AWS endpoint and credentials (real AWS, LocalStack or moto). One record at a
time (``publish``) or many in the services' batch calls (``publish_batch``: SNS 10 a call, Firehose 500,
CloudWatch Logs up to 10,000 events or 1 MiB). Which records go where: an enabled destination whose
MatchingEventTypes include the record's type, ``ALL``, or its channel's ``*_ALL``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
        self._put_record_only: set[tuple[str, str]] = set()
        """(region, delivery stream) whose PutRecordBatch was denied: sent one PutRecord at a time."""

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

    def publish_batch(self, destination: Mapping[str, Any], records: Sequence[Mapping[str, Any]]) -> list[str | None]:
        """Deliver ``records``, in order, to ``destination`` with the service's batch calls; each record's error,
        None for those delivered. When a call fails as a whole, its records and every later one fail with it,
        so a retry keeps their order."""
        bodies = [orjson.dumps(record).decode() for record in records]
        errors: list[str | None] = [None] * len(records)
        if "SnsDestination" in destination:
            chunks, send = _chunks(bodies, 10), self._sns_batch(destination["SnsDestination"]["TopicArn"])
        elif "KinesisFirehoseDestination" in destination:
            chunks = _chunks(bodies, 500)
            send = self._firehose_batch(destination["KinesisFirehoseDestination"]["DeliveryStreamArn"])
        elif "CloudWatchLogsDestination" in destination:
            chunks = _log_chunks(bodies, records)
            send = self._logs_batch(destination["CloudWatchLogsDestination"]["LogGroupArn"], records)
        else:
            return ["the event destination has no destination"] * len(records)
        for position, chunk in enumerate(chunks):
            try:
                for index, error in send(chunk, bodies):
                    errors[index] = error
            except (ClientError, BotoCoreError, DeliveryError) as failure:
                for later in chunks[position:]:
                    for index in later:
                        errors[index] = f"{type(failure).__name__}: {failure}"
                break
        return errors

    def _sns_batch(self, topic_arn: str) -> BatchCall:
        region, _ = _arn_region_and_resource(topic_arn)

        def send(chunk: list[int], bodies: list[str]) -> list[tuple[int, str]]:
            answer = self._client("sns", region).publish_batch(
                TopicArn=topic_arn, PublishBatchRequestEntries=[{"Id": str(i), "Message": bodies[i]} for i in chunk])
            return [(int(failed["Id"]), f"{failed.get('Code')}: {failed.get('Message')}")
                    for failed in answer.get("Failed", [])]
        return send

    def _firehose_batch(self, stream_arn: str) -> BatchCall:
        """PutRecordBatch; where the credentials may only PutRecord (the policy AWS's guide shows for an event
        destination's role), one PutRecord a record from then on."""
        region, resource = _arn_region_and_resource(stream_arn)
        name = resource.split("/", 1)[-1]

        def one_by_one(chunk: list[int], bodies: list[str]) -> list[tuple[int, str]]:
            refused = []
            for index in chunk:
                try:
                    self._to_firehose(stream_arn, bodies[index])
                except ClientError as error:
                    refused.append((index, f"ClientError: {error}"))
            return refused

        def send(chunk: list[int], bodies: list[str]) -> list[tuple[int, str]]:
            if (region, name) in self._put_record_only:
                return one_by_one(chunk, bodies)
            try:
                answer = self._client("firehose", region).put_record_batch(
                    DeliveryStreamName=name, Records=[{"Data": (bodies[i] + "\n").encode()} for i in chunk])
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") not in ("AccessDeniedException", "AccessDenied"):
                    raise
                self._put_record_only.add((region, name))
                return one_by_one(chunk, bodies)
            return [(index, f"{result['ErrorCode']}: {result.get('ErrorMessage')}")
                    for index, result in zip(chunk, answer.get("RequestResponses", []), strict=False)
                    if result.get("ErrorCode")]
        return send

    def _logs_batch(self, group_arn: str, records: Sequence[Mapping[str, Any]]) -> BatchCall:
        def send(chunk: list[int], bodies: list[str]) -> list[tuple[int, str]]:
            rejected = self._put_log_events(group_arn, [
                {"timestamp": _timestamp(records[i]), "message": bodies[i]} for i in chunk])
            return [(chunk[position], f"CloudWatch Logs rejected the event: {why}") for position, why in rejected]
        return send

    def _to_sns(self, topic_arn: str, body: str) -> None:
        region, _ = _arn_region_and_resource(topic_arn)
        self._client("sns", region).publish(TopicArn=topic_arn, Message=body)

    def _to_firehose(self, stream_arn: str, body: str) -> None:
        region, resource = _arn_region_and_resource(stream_arn)
        name = resource.split("/", 1)[-1]
        self._client("firehose", region).put_record(DeliveryStreamName=name, Record={"Data": (body + "\n").encode()})

    def _to_logs(self, group_arn: str, body: str, record: Mapping[str, Any]) -> None:
        rejected = self._put_log_events(group_arn, [{"timestamp": _timestamp(record), "message": body}])
        if rejected:
            raise DeliveryError(f"CloudWatch Logs rejected the event: {rejected[0][1]}")

    def _put_log_events(self, group_arn: str, events: list[dict[str, Any]]) -> list[tuple[int, str]]:
        """PutLogEvents of ``events`` (in time order) to Pigeon's stream of the group, creating it on first
        use; the (position, reason) of each event the service rejected."""
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
        try:
            answer = client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
        except client.exceptions.ResourceNotFoundException:
            self._known_streams.discard(known)  # the stream (or its group) was deleted: the retry creates it
            raise
        info = answer.get("rejectedLogEventsInfo") or {}
        too_new = info.get("tooNewLogEventStartIndex", len(events))
        too_old = info.get("tooOldLogEventEndIndex", -1)
        expired = info.get("expiredLogEventEndIndex", -1)
        return [(position, "too new" if position >= too_new else "too old" if position <= too_old else "expired")
                for position in range(len(events)) if position >= too_new or position <= max(too_old, expired)]


BatchCall = Callable[[list[int], list[str]], list[tuple[int, str]]]
"""send(indexes of one chunk, every body) -> (index, error) of the records the service refused."""

_LOG_EVENTS_PER_CALL = 10_000
_LOG_BYTES_PER_CALL = 1_048_576
_LOG_EVENT_OVERHEAD = 26
_LOG_SPAN_MS = 23 * 3600 * 1000
"""PutLogEvents takes at most 10,000 events, 1 MiB (each message plus 26 bytes), within 24 hours."""


def _timestamp(record: Mapping[str, Any]) -> int:
    return int(record.get("eventTimestamp") or 0)


def _chunks(bodies: list[str], size: int) -> list[list[int]]:
    return [list(range(start, min(start + size, len(bodies)))) for start in range(0, len(bodies), size)]


def _log_chunks(bodies: list[str], records: Sequence[Mapping[str, Any]]) -> list[list[int]]:
    """Indexes in PutLogEvents calls: in time order (a call's events must be; ties keep their order), within
    the call's limits."""
    chunks: list[list[int]] = []
    size = 0
    for index in sorted(range(len(bodies)), key=lambda i: _timestamp(records[i])):
        cost = len(bodies[index].encode()) + _LOG_EVENT_OVERHEAD
        current = chunks[-1] if chunks else None
        if (current is None or len(current) >= _LOG_EVENTS_PER_CALL or size + cost > _LOG_BYTES_PER_CALL
                or _timestamp(records[index]) - _timestamp(records[current[0]]) > _LOG_SPAN_MS):
            chunks.append([index])
            size = cost
        else:
            current.append(index)
            size += cost
    return chunks

