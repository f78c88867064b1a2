"""Two-way forwarding: an inbound message, in AWS's two-way JSON, to the number's SNS topic and the webhook.

Nothing is sent here: each forward is a row of the deliveries queue written in the inbound message's
transaction, which the delivery worker sends after commit with retries (pigeon/deliveries). So a request
never waits on SNS or a webhook, and a crash loses no forward.

- SNS: for numbers and pools with TwoWayEnabled whose TwoWayChannelArn is an SNS topic ("When your number
  receives an SMS message, AWS End User Messaging SMS sends a JSON payload to an Amazon SNS topic that you
  designate"). Amazon Connect channels are not modelled: such a message is recorded as not forwarded.
- Webhook: every inbound message of every number when ``inbound_webhook_url`` is configured (operators
  without AWS), signed with ``inbound_webhook_secret`` (pigeon/inbound/webhook.py).
"""

from __future__ import annotations

from typing import Any

from pigeon.deliveries import PENDING, enqueue
from pigeon.service.context import Context
from pigeon.store.resources import Record


def payload(handset: str, our_number: str, keyword: str, body: str, inbound_message_id: str,
            previous_message_id: str | None) -> dict[str, Any]:
    """AWS's two-way JSON (two-way-sms-payload.html), in AWS's field order; no previousPublishedMessageId
    when we never sent to the handset from this number."""
    message = {"originationNumber": handset, "destinationNumber": our_number, "messageKeyword": keyword,
               "messageBody": body, "inboundMessageId": inbound_message_id}
    if previous_message_id:
        message["previousPublishedMessageId"] = previous_message_id
    return message


def is_sns_topic(arn: str) -> bool:
    parts = arn.split(":")
    return len(parts) >= 6 and parts[0] == "arn" and parts[2] == "sns"


def forward(ctx: Context, governing: Record, message: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """Queue the forwards of one inbound message; returns them and why SNS was skipped (if it was)."""
    forwards: list[dict[str, Any]] = []
    skipped: str | None = None
    channel = governing.data.get("TwoWayChannelArn") or ""
    if governing.data.get("TwoWayEnabled"):
        if is_sns_topic(channel):
            delivery_id = enqueue(ctx.tx, ctx.scope, "sns", {"TopicArn": channel}, message, ctx.now)
            forwards.append({"Kind": "sns", "TopicArn": channel, "DeliveryId": delivery_id, "Status": PENDING})
        else:
            skipped = f"TwoWayChannelArn {channel} is not an SNS topic (only SNS is supported)"
    url = ctx.settings.inbound_webhook_url
    if url:
        # No Secret in the target: the sender signs with inbound_webhook_secret, which never reaches the store.
        delivery_id = enqueue(ctx.tx, ctx.scope, "webhook", {"Url": url}, message, ctx.now)
        forwards.append({"Kind": "webhook", "Url": url, "DeliveryId": delivery_id, "Status": PENDING})
    return forwards, skipped
