"""SendVoiceMessage: the text-message admission rules for a call, then one VOICE row in the outbox.

Voice goes from phone numbers or pools only (no sender IDs), with the VOICE capability. The body is TEXT
(at most 3,000 characters) or SSML (at most 6,000, a well-formed ``<speak>`` document). The price is per
started minute: MaxPricePerMinute and the VOICE spend limit are checked against one minute at admission; the
dispatcher's voice step (pigeon/messaging/channels.py) synthesizes the audio and prices the call by its length.
A SANDBOX account may place 20 calls a day, at most 5 to one recipient and 5 a minute, each at most 30 seconds
long (aws-facts §1.5).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pigeon.common import ids
from pigeon.errors import FieldViolation, Invalid, QuotaExceeded, Throttled
from pigeon.messaging import encoding, pricing
from pigeon.service import channel_protect, message_feedback, origination, sending
from pigeon.service.context import Context, Params, Result
from pigeon.service.origination import Destination, Origin
from pigeon.service.registry import operation
from pigeon.store.schema import messages
from pigeon.voice import tts

MAX_TEXT_CHARACTERS = {"TEXT": 3000, "SSML": 6000}
SANDBOX_CALLS_PER_DAY = 20
SANDBOX_CALLS_PER_RECIPIENT_PER_DAY = 5
SANDBOX_CALLS_PER_MINUTE = 5
SANDBOX_MAX_SECONDS = 30
"""A sandbox call plays at most 30 seconds of audio (aws-facts §1.5); longer audio is cut there."""


def check_body(body: str, text_type: str) -> None:
    """TEXT up to 3,000 characters, SSML up to 6,000 and well-formed with a ``<speak>`` root."""
    limit = MAX_TEXT_CHARACTERS[text_type]
    if len(body) > limit:
        raise Invalid("MAXIMUM_SIZE_EXCEEDED", f"A {text_type} voice message body is at most {limit} characters.",
                      [FieldViolation("MessageBody", f"Longer than {limit} characters")])
    if text_type == "SSML":
        try:
            tts.check_ssml(body)
        except tts.SpeechError as error:
            raise Invalid("CANNOT_PARSE", str(error), [FieldViolation("MessageBody", str(error))]) from error


@operation("SendVoiceMessage", sends=True)
def send_voice_message(ctx: Context, params: Params) -> Result:
    body = params.get("MessageBody")
    if body is None:
        raise Invalid("MISSING_PARAMETER", "MessageBody is required", [FieldViolation("MessageBody", "Required")])
    text_type = params.get("MessageBodyTextType") or "TEXT"
    check_body(body, text_type)
    destination = sending.destination_of(params["DestinationPhoneNumber"])
    configuration_set = sending.configuration_set_of(ctx, params.get("ConfigurationSetName"))
    origin = origination.choose(ctx, params["OriginationIdentity"], destination, None, "VOICE")
    sending.check_destination_allowed(ctx, origin, destination)
    sandbox = check_sandbox_calls(ctx, destination)
    protect = channel_protect.protect_or_refuse(ctx, params, "VOICE", destination)
    return {"MessageId": accept_voice(ctx, params, origin, destination, configuration_set, text_type, protect,
                                      SANDBOX_MAX_SECONDS if sandbox else None)}


def accept_voice(ctx: Context, params: Params, origin: Origin, destination: Destination,
                 configuration_set: dict[str, Any], text_type: str, protect: dict[str, Any] | None = None,
                 max_seconds: int | None = None, free: bool = False) -> str:
    """Price one minute of the call, check MaxPricePerMinute and the spend limit, and queue it (unless DryRun).

    Verification codes sent by voice (pigeon/service/verification.py) come in here too. Returns the MessageId.
    """
    body = params["MessageBody"]
    per_minute = pricing.FREE if free else pricing.price_of("VOICE", destination.iso_country, origin.number_type,
                                                            "TRANSACTIONAL", 1)
    sending.check_price(params.get("MaxPricePerMinute"), per_minute, "MaxPricePerMinute")
    sending.check_spend(ctx, "VOICE", per_minute)
    message_id = ids.new_time_ordered_uuid()
    if params.get("DryRun"):
        return message_id
    payload = {
        "MessageBody": body, "MessageBodyTextType": text_type,
        "VoiceId": params.get("VoiceId") or tts.DEFAULT_VOICE_ID,
        "Encoding": encoding.segment(body).encoding, "Parts": 1, "MessageType": "TRANSACTIONAL",
        "Context": params.get("Context") or {},
        "MessageFeedbackEnabled": message_feedback.enabled(params, configuration_set),
        "PricePerMinuteMicros": per_minute.price_micros, "CarrierFeePerMinuteMicros": per_minute.carrier_fee_micros,
        **sending.common_payload(ctx, params, origin, destination, configuration_set, per_minute),
    }
    if protect is not None:
        payload["Protect"] = protect
    if max_seconds is not None:
        payload["MaxDurationSeconds"] = max_seconds
    sending.enqueue(ctx, message_id, "VOICE", origin, destination, params.get("TimeToLive"), payload)
    if payload["MessageFeedbackEnabled"]:
        message_feedback.expect(ctx, message_id)
    return message_id


def check_sandbox_calls(ctx: Context, destination: Destination) -> bool:
    """Voice sandbox: 20 calls a day, at most 5 to one recipient in 24 hours, at most 5 a minute (simulator
    numbers included; a sixth call within the minute answers ThrottlingException).
    Returns whether the account is in the sandbox."""
    if ctx.runtime.account_tier(ctx.tx, ctx.scope.account_id) != "SANDBOX":
        return False

    def calls(since_seconds: int, destination_number: str | None = None) -> int:
        column = messages.c
        query = sa.select(sa.func.count()).where(
            column.account_id == ctx.scope.account_id, column.region == ctx.scope.region,
            column.channel == "VOICE", column.created_at > ctx.now - since_seconds)
        if destination_number is not None:
            query = query.where(column.destination == destination_number)
        return int(ctx.tx.execute(query).scalar_one())

    if calls(24 * 3600) >= SANDBOX_CALLS_PER_DAY:
        raise QuotaExceeded("DAILY_DESTINATION_CALL_LIMIT",
                            f"A sandbox account places at most {SANDBOX_CALLS_PER_DAY} voice calls a day.")
    if calls(24 * 3600, destination.number) >= SANDBOX_CALLS_PER_RECIPIENT_PER_DAY:
        raise QuotaExceeded("DAILY_DESTINATION_CALL_LIMIT",
                            f"A sandbox account calls {destination.number} at most "
                            f"{SANDBOX_CALLS_PER_RECIPIENT_PER_DAY} times a day.")
    if calls(60) >= SANDBOX_CALLS_PER_MINUTE:
        raise Throttled(f"A sandbox account places at most {SANDBOX_CALLS_PER_MINUTE} voice calls a minute.")
    return True
