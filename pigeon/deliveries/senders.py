"""How each kind of delivery is sent: event destinations, SNS topics (two-way), signed webhooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
from botocore.exceptions import BotoCoreError, ClientError

from pigeon.aws import AwsClients, AwsTarget
from pigeon.events.destinations import DeliveryError, EventPublisher
from pigeon.inbound import webhook
from pigeon.settings import Settings

Sender = Callable[[Mapping[str, Any], Mapping[str, Any], str], None]
"""sender(target, payload, delivery_id); raises DeliveryError (or WebhookError) to be retried."""
BatchSender = Callable[[Mapping[str, Any], Sequence[Mapping[str, Any]]], list[str | None]]
"""batch_sender(target, payloads) -> each payload's error (None: delivered), for kinds sent in batches."""


def aws_target(settings: Settings) -> AwsTarget:
    return AwsTarget(settings.aws_endpoint_url, settings.aws_access_key_id, settings.aws_secret_access_key,
                     settings.aws_region or settings.default_region)


def build_senders(settings: Settings, publisher: EventPublisher | None = None) -> dict[str, Sender]:
    """How each kind is sent one at a time; ``publisher`` shared with ``build_batch_senders`` (one set of AWS
    clients and of known log streams)."""
    target = aws_target(settings)
    publisher = publisher or EventPublisher(target)
    clients = AwsClients(target)

    def to_event_destination(destination: Mapping[str, Any], record: Mapping[str, Any], _: str) -> None:
        publisher.publish(destination, record)

    def to_sns(destination: Mapping[str, Any], message: Mapping[str, Any], _: str) -> None:
        topic_arn = destination["TopicArn"]
        region = topic_arn.split(":")[3] or None
        try:
            clients.client("sns", region).publish(TopicArn=topic_arn, Message=orjson.dumps(message).decode())
        except (ClientError, BotoCoreError) as error:
            raise DeliveryError(str(error)) from error

    def to_webhook(destination: Mapping[str, Any], body: Mapping[str, Any], delivery_id: str) -> None:
        # The inbound webhook's secret stays in the settings (not in the stored, inspectable target).
        secret = destination.get("Secret") or settings.inbound_webhook_secret or ""
        webhook.deliver(destination["Url"], secret, orjson.dumps(body), delivery_id)

    return {"event-destination": to_event_destination, "sns": to_sns, "webhook": to_webhook}


def build_batch_senders(settings: Settings, publisher: EventPublisher | None = None) -> dict[str, BatchSender]:
    """The kinds whose deliveries to one target go out together: event records (the services' batch calls)."""
    return {"event-destination": (publisher or EventPublisher(aws_target(settings))).publish_batch}
