"""AWS event records for text messages (aws-facts §2.1-2.3): field names, order and status tokens.

The record's ``messageStatus`` is the event type without its channel prefix; ``isFinal`` is true for the
last record of a message. Optional fields (``mcc``, ``mnc``, ``carrierName``, ``context``) are left out when
unknown or empty; the network fields come from CarrierLookup's offline data at acceptance.
"""

from __future__ import annotations

from typing import Any

from pigeon.messaging.outbox import Message
from pigeon.messaging.voice_records import DESCRIPTIONS as VOICE_DESCRIPTIONS

DESCRIPTIONS = {
    "SUCCESSFUL": "Message has been accepted by phone carrier",
    "DELIVERED": "Message has been accepted by phone",
    "TTL_EXPIRED": "The delivery TTL has expired",
    "CARRIER_UNREACHABLE": "The phone carrier is currently unreachable/unavailable",
    "UNREACHABLE": "The phone is currently unreachable/unavailable",
    "BLOCKED": "The phone number is blocked from receiving messages",
    "CARRIER_BLOCKED": "The message has been blocked by the phone carrier",
    "INVALID": "Invalid destination phone number",
    "INVALID_MESSAGE": "The message body is invalid",
    "SPAM": "The phone carrier flagged the message as spam",
    "UNKNOWN": "Unknown error attempting to reach phone",
    "PROTECT_BLOCKED": "The message was blocked by a protect configuration",
}
"""messageStatusDescription per status. SUCCESSFUL, DELIVERED and TTL_EXPIRED are AWS's observed texts;
the others paraphrase the documented meanings ([UNCONFIRMED] wording, see aws-facts §2.3)."""


def record(message: Message, status: str, is_final: bool, now: float, description: str = "",
           charged: bool = True) -> dict[str, Any]:
    """The event record of ``message`` reaching ``status`` (SUCCESSFUL, DELIVERED, TTL_EXPIRED, ...).

    Media records have the text records' shape (one part, priced per message); voice records carry fewer
    fields (no network, encoding, message type or parts), their own status descriptions, and on COMPLETED the
    call's ``callDurationSeconds``."""
    voice = message.channel == "VOICE"
    payload = message.payload
    event: dict[str, Any] = {
        "eventType": f"{message.channel}_{status}",
        "eventVersion": "1.0",
        "eventTimestamp": int(now * 1000),
        "isFinal": is_final,
        "originationPhoneNumber": message.origination_identity,
        "destinationPhoneNumber": message.destination,
        "isoCountryCode": payload["IsoCountryCode"],
        "isInternationalSend": payload["IsInternationalSend"],
    }
    if not voice:
        event.update(payload.get("Network", {}))
    event["messageId"] = message.message_id
    event["messageRequestTimestamp"] = int(message.created_at * 1000)
    if not voice:
        event["messageEncoding"] = payload["Encoding"]
        event["messageType"] = payload["MessageType"]
    event["messageStatus"] = status
    event["messageStatusDescription"] = description or _description(message.channel, status)
    if payload.get("Context"):
        event["context"] = dict(payload["Context"])
    if not voice:
        event["totalMessageParts"] = payload["Parts"]
    elif status == "COMPLETED":
        event["callDurationSeconds"] = call_duration(payload)
    event["totalMessagePrice"] = payload["PriceMicros"] / 1_000_000 if charged else 0.0
    event["totalCarrierFee"] = payload["CarrierFeeMicros"] / 1_000_000 if charged else 0.0
    protect = payload.get("Protect")
    if protect:
        event["protectConfiguration"] = {"protectConfigurationId": protect["protectConfigurationId"],
                                         "protectStatus": protect["protectStatus"]}
    return event


def then(previous: dict[str, Any], message: Message, status: str, is_final: bool,
         description: str = "") -> dict[str, Any]:
    """The record of ``message`` reaching ``status`` in the same instant as its ``previous`` record, with the
    same charge: what ``record`` builds, made as a copy of ``previous`` with the status fields replaced."""
    event = previous.copy()
    event["eventType"] = f"{message.channel}_{status}"
    event["isFinal"] = is_final
    event["messageStatus"] = status
    event["messageStatusDescription"] = description or _description(message.channel, status)
    for key in ("context", "protectConfiguration"):  # each record has its own
        if key in event:
            event[key] = dict(event[key])
    if message.channel == "VOICE" and status == "COMPLETED" and "callDurationSeconds" not in event:
        fields = list(event.items())
        at = next(i for i, (key, _) in enumerate(fields) if key == "totalMessagePrice")
        event = dict([*fields[:at], ("callDurationSeconds", call_duration(message.payload)), *fields[at:]])
    return event


def describe(channel: str, status: str) -> str:
    """AWS's messageStatusDescription for ``status`` on ``channel``."""
    return _description(channel, status)


def call_duration(payload: dict[str, Any]) -> float:
    """A completed call's seconds: measured from answer to hang-up (SIP), else the message's audio (simulator)."""
    return float(payload.get("CallDurationSeconds", payload.get("DurationSeconds", 0.0)))


def _description(channel: str, status: str) -> str:
    descriptions = VOICE_DESCRIPTIONS if channel == "VOICE" else DESCRIPTIONS
    return descriptions.get(status) or status.replace("_", " ").lower()
