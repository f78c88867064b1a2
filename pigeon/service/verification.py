"""Verification codes: SendDestinationNumberVerificationCode and VerifyDestinationNumber.

A code is a real message (TEXT or VOICE) through the sending pipeline, in the asked LanguageCode
(data/verification.yaml), from an origination identity of the destination's own country ("The origination
identity can only send verification messages within its own country"). Only a hash of the code and its
expiry are kept on the verified destination number (``_Verification``, never on the wire). A number may get
VERIFICATION_ATTEMPTS_PER_DAY codes (ServiceQuotaExceededException) and fail as many checks (ThrottlingException:
VerifyDestinationNumber declares no ServiceQuotaExceededException) in any 24 hours.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache
from importlib import resources as package_data
from typing import Any

import yaml

from pigeon.common import quotas
from pigeon.errors import Conflict, FieldViolation, Invalid, ServiceError, Throttled
from pigeon.messaging import encoding
from pigeon.service import opt_outs, origination, sending, sending_voice, verified_numbers
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation
from pigeon.store import resources
from pigeon.store.resources import Record

DAY_SECONDS = 24 * 3600
ATTEMPTS_QUOTA = "VERIFICATION_ATTEMPTS_PER_DAY"
DEFAULT_LANGUAGE = "EN_US"


@cache
def templates() -> dict[str, Any]:
    return dict(yaml.safe_load(package_data.files("pigeon.data").joinpath("verification.yaml").read_text()))


def validity_seconds() -> int:
    return int(templates()["validity_seconds"])


def code_hash(record_id: str, code: str) -> str:
    """The stored form of a code: SHA-256 over the record id and the code (the code itself is never kept)."""
    return hashlib.sha256(f"{record_id}:{code}".encode()).hexdigest()


def _recent(timestamps: list[float], now: float) -> list[float]:
    return [stamp for stamp in timestamps if stamp > now - DAY_SECONDS]


def _message_body(channel: str, language: str, code: str) -> tuple[str, str]:
    """(body, VoiceId) of the message carrying ``code``."""
    entry = templates()["languages"][language]
    template = entry["text"] if channel == "TEXT" else entry["voice"]
    return template.format(code=code, spoken_code=", ".join(code)), entry["voice_id"]


@operation("SendDestinationNumberVerificationCode")
def send_destination_number_verification_code(ctx: Context, params: Params) -> Result:
    record = verified_numbers.find(ctx, params["VerifiedDestinationNumberId"], for_update=True)
    _check_pending(record)
    state = dict(record.data.get("_Verification") or {})
    sends = _recent(state.get("Sends", []), ctx.now)
    quotas.check(ctx, ATTEMPTS_QUOTA, len(sends), ATTEMPTS_QUOTA)
    channel = params["VerificationChannel"]
    code = f"{secrets.randbelow(10**6):06d}"
    body, voice_id = _message_body(channel, params.get("LanguageCode") or DEFAULT_LANGUAGE, code)
    first = not state.get("FirstCodeSent")  # "the first verification code per number is free" (aws-facts §1.5)
    message_id = _send(ctx, params, record.data["DestinationPhoneNumber"], channel, body, voice_id, free=first)
    state.update(CodeHash=code_hash(record.resource_id, code), ExpiresAt=ctx.now + validity_seconds(),
                 Sends=[*sends, ctx.now], MessageId=message_id, FirstCodeSent=True)
    resources.update(ctx.tx, record.with_data(_Verification=state))
    return {"MessageId": message_id}


def _send(ctx: Context, params: Params, number: str, channel: str, body: str, voice_id: str, free: bool) -> str:
    """Queue the code's message from an identity of the destination's country; the sandbox does not apply
    (the number is being verified), its opt-out list does."""
    destination = sending.destination_of(number)
    configuration_set = sending.configuration_set_of(ctx, params.get("ConfigurationSetName"))
    capability = "SMS" if channel == "TEXT" else "VOICE"
    default_sender_id = configuration_set.get("DefaultSenderId") if channel == "TEXT" else None
    origin = origination.choose(ctx, params.get("OriginationIdentity"), destination, default_sender_id, capability)
    if origin.iso_country != destination.iso_country:
        raise Invalid("INVALID_IDENTITY_FOR_DESTINATION_COUNTRY",
                      f"{origin.value} ({origin.iso_country}) can only send verification messages within "
                      f"{origin.iso_country}, not to {destination.iso_country}.")
    if opt_outs.is_opted_out(ctx.in_scope(origin.owner or ctx.scope), origin.opt_out_list, destination.number):
        raise Conflict("DESTINATION_PHONE_NUMBER_OPTED_OUT", "opt-out-list", origin.opt_out_list,
                       f"{destination.number} has opted out ({origin.opt_out_list}).")
    message = {"MessageBody": body, "Context": params.get("Context"), "VoiceId": voice_id,
               "DestinationCountryParameters": params.get("DestinationCountryParameters")}
    if channel == "TEXT":
        return sending.accept_text(ctx, message, origin, destination, configuration_set, "TRANSACTIONAL",
                                   encoding.segment(body), free=free)
    return sending_voice.accept_voice(ctx, message, origin, destination, configuration_set, "TEXT", free=free)


def _check_pending(record: Record) -> None:
    if record.data.get("Status") == "VERIFIED":
        raise Conflict("VERIFICATION_ALREADY_COMPLETE", verified_numbers.RESOURCE_TYPE, record.resource_id,
                       f"{record.data['DestinationPhoneNumber']} is already verified.")


@operation("VerifyDestinationNumber", writes=False)
def verify_destination_number(ctx: Context, params: Params) -> Result:
    """Check the code in a transaction of its own, committed even when the check fails: a wrong code counts
    against the day's attempts whatever the request answers (the request's own transaction only reads)."""
    attempt = Context(ctx.scope, ctx.runtime, ctx.operation, ctx.request_id, ctx.now)
    try:
        ctx.runtime.ensure_account(attempt.tx, ctx.scope.account_id)
        result, refusal = _verify(attempt, params)
    except BaseException as error:
        attempt.finish(error)
        raise
    attempt.finish()
    if refusal is not None:
        raise refusal
    return result


def _verify(ctx: Context, params: Params) -> tuple[Result, ServiceError | None]:
    """(the verified number, None) or ({}, the error to answer once the failed attempt is stored)."""
    record = verified_numbers.find(ctx, params["VerifiedDestinationNumberId"], for_update=True)
    _check_pending(record)
    state = dict(record.data.get("_Verification") or {})
    failures = _recent(state.get("FailedChecks", []), ctx.now)
    if len(failures) >= quotas.limit(ctx, ATTEMPTS_QUOTA):
        # VerifyDestinationNumber declares no ServiceQuotaExceededException: too many checks in a day is throttling
        raise Throttled(f"{record.data['DestinationPhoneNumber']} had {len(failures)} wrong verification codes "
                        "in the last 24 hours; try again later.")
    expected = state.get("CodeHash") or ""
    if not hmac.compare_digest(code_hash(record.resource_id, params["VerificationCode"]), expected):
        state["FailedChecks"] = [*failures, ctx.now]
        resources.update(ctx.tx, record.with_data(_Verification=state))
        return {}, Invalid("VERIFICATION_CODE_MISMATCH", "The verification code does not match.",
                            [FieldViolation("VerificationCode", "The code does not match")])
    if ctx.now >= state["ExpiresAt"]:
        return {}, Conflict("VERIFICATION_CODE_EXPIRED", verified_numbers.RESOURCE_TYPE, record.resource_id,
                            "The verification code has expired; send a new one.")
    verified = verified_numbers.mark_verified(ctx, record.with_data(_Verification={}))
    return {key: value for key, value in verified.data.items() if not key.startswith("_")}, None
