"""AWS event records for voice messages (aws-facts §2.2, §2.3).

AWS documents only a subset of a voice record's fields (eventType, eventVersion, eventTimestamp, isFinal,
originationPhoneNumber, isoCountryCode, messageId, messageRequestTimestamp, messageStatus); Pigeon writes
those in that order and adds the text record's destination, description, context and price fields. A call
goes INITIATED -> RINGING -> ANSWERED -> COMPLETED (final), or ends BUSY, NO_ANSWER, FAILED or TTL_EXPIRED.
"""

from __future__ import annotations

from typing import Any

from pigeon.messaging.outbox import Message

DESCRIPTIONS = {
    "INITIATED": "The call has been initiated",
    "RINGING": "The phone is ringing",
    "ANSWERED": "The call has been answered",
    "COMPLETED": "The message has been played",
    "BUSY": "The line is busy",
    "NO_ANSWER": "The call was not answered",
    "FAILED": "The call failed",
    "TTL_EXPIRED": "The delivery TTL has expired",
}
"""messageStatusDescription per voice status: Pigeon's wording ([UNCONFIRMED]; COMPLETED paraphrases
"audio played", aws-facts §2.3)."""


def voice_record(message: Message, status: str, is_final: bool, now: float, description: str = "",
                 charged: bool = True) -> dict[str, Any]:
    payload = message.payload
    event: dict[str, Any] = {
        "eventType": f"VOICE_{status}",
        "eventVersion": "1.0",
        "eventTimestamp": int(now * 1000),
        "isFinal": is_final,
        "originationPhoneNumber": message.origination_identity,
        "destinationPhoneNumber": message.destination,
        "isoCountryCode": payload["IsoCountryCode"],
        "isInternationalSend": payload["IsInternationalSend"],
        "messageId": message.message_id,
        "messageRequestTimestamp": int(message.created_at * 1000),
        "messageStatus": status,
        "messageStatusDescription": description or DESCRIPTIONS.get(status, status.replace("_", " ").lower()),
    }
    if payload.get("Context"):
        event["context"] = dict(payload["Context"])
    event["totalMessagePrice"] = payload["PriceMicros"] / 1_000_000 if charged else 0.0
    event["totalCarrierFee"] = payload["CarrierFeeMicros"] / 1_000_000 if charged else 0.0
    protect = payload.get("Protect")
    if protect:
        event["protectConfiguration"] = {"protectConfigurationId": protect["protectConfigurationId"],
                                         "protectStatus": protect["protectStatus"]}
    return event
