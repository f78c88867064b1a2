"""SendTextMessage: the admission rules, then one row in the outbox in the request's transaction.

Each refusal is the documented error before a MessageId exists. An accepted message is committed with the
request (the MessageId is returned only after that commit) and delivered later by the dispatcher
(pigeon/messaging/dispatcher.py), so the request never waits on a carrier.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pigeon.common import ids, phone
from pigeon.errors import Conflict, FieldViolation, Invalid, QuotaExceeded
from pigeon.messaging import encoding, outbox, pricing
from pigeon.service import (
    carrier_lookup,
    configuration_sets,
    message_feedback,
    opt_outs,
    origination,
    protect_configurations,
    protect_rules,
    verified_numbers,
)
from pigeon.service.context import Context, Params, Result
from pigeon.service.origination import Destination, Origin
from pigeon.service.registry import operation
from pigeon.service.spend_limits import enforced_limit

DEFAULT_TIME_TO_LIVE = 72 * 3600
VERIFIED_DESTINATION = verified_numbers.RESOURCE_TYPE


def destination_of(value: str, field: str = "DestinationPhoneNumber") -> Destination:
    """A valid E.164 destination and its country; AWS's simulator numbers are always valid."""
    destination = _parse_destination(value)
    if destination is None:
        raise Invalid.field(field, f"{value} is not a valid phone number")
    return destination


def _parse_destination(value: str) -> Destination | None:
    number = value if value.startswith("+") else f"+{value}"
    simulator_country = origination.simulator_country(number)
    if simulator_country:
        return Destination(number, simulator_country, simulator_country)
    parsed = phone.parse(number)
    return Destination(number, parsed.region or "", None) if parsed.valid else None


@operation("SendTextMessage", sends=True)
def send_text_message(ctx: Context, params: Params) -> Result:
    body = params.get("MessageBody")
    if body is None:
        raise Invalid("MISSING_PARAMETER", "MessageBody is required", [FieldViolation("MessageBody", "Required")])
    destination = destination_of(params["DestinationPhoneNumber"])
    configuration_set = configuration_set_of(ctx, params.get("ConfigurationSetName"))
    message_type = params.get("MessageType") or configuration_set.get("DefaultMessageType") or "TRANSACTIONAL"
    origin = origination.choose(ctx, params.get("OriginationIdentity"), destination,
                                configuration_set.get("DefaultSenderId"))
    segmentation = encoding.segment(body)
    check_destination_allowed(ctx, origin, destination)
    protect = protect_of(ctx, params, "SMS", destination)
    return {"MessageId": accept_text(ctx, params, origin, destination, configuration_set, message_type,
                                     segmentation, protect)}


def protect_of(ctx: Context, params: Params, capability: str, destination: Destination) -> dict[str, Any] | None:
    """The protect configuration in force (request, configuration set, account default) and its verdict.

    A blocked send is accepted and ends with a final ``*_PROTECT_BLOCKED`` event, uncharged ("Blocked sends
    produce TEXT_PROTECT_BLOCKED", aws-facts §7); every event of a protected message carries
    ``protectConfiguration {protectConfigurationId, protectStatus}``.
    """
    name = params.get("ConfigurationSetName")
    configuration_set = configuration_sets.find(ctx, name) if name else None
    protect_id = protect_configurations.effective_id(ctx, params.get("ProtectConfigurationId"), configuration_set)
    if protect_id is None:
        return None
    action, status = protect_rules.decide(ctx, protect_id, capability, destination.number)
    return {"protectConfigurationId": protect_id, "protectStatus": status, "blocked": action == "BLOCK"}


def accept_text(ctx: Context, params: Params, origin: Origin, destination: Destination,
                configuration_set: dict[str, Any], message_type: str, segmentation: encoding.Segmentation,
                protect: dict[str, Any] | None = None, free: bool = False) -> str:
    """Price an admitted text message, check MaxPrice and the spend limit, and queue it (unless DryRun).

    Returns the MessageId. Automatic responses to inbound messages (pigeon/inbound) come in here too, after
    their own admission (a reply goes back from the number that was written to), and verification codes
    (``free`` for a number's first code).
    """
    body = params["MessageBody"]
    price = pricing.FREE if free else pricing.price_of("TEXT", destination.iso_country, origin.number_type,
                                                       message_type, segmentation.part_count)
    check_price(params.get("MaxPrice"), price, "MaxPrice")
    check_spend(ctx, "TEXT", price)
    message_id = ids.new_time_ordered_uuid()
    if params.get("DryRun"):
        return message_id
    payload = {
        "MessageBody": body, "Encoding": segmentation.encoding, "Parts": segmentation.part_count,
        "MessageType": message_type, "Context": params.get("Context") or {},
        "MessageFeedbackEnabled": params.get(
            "MessageFeedbackEnabled", configuration_set.get("DefaultMessageFeedbackEnabled", False)),
        **common_payload(ctx, params, origin, destination, configuration_set, price),
    }
    if protect is not None:
        payload["Protect"] = protect
    enqueue(ctx, message_id, "TEXT", origin, destination, params.get("TimeToLive"), payload)
    if payload["MessageFeedbackEnabled"]:
        message_feedback.expect(ctx, message_id)
    return message_id


def configuration_set_of(ctx: Context, name: str | None) -> dict[str, Any]:
    if not name:
        return {}
    return configuration_sets.find(ctx, name).data


def check_destination_allowed(ctx: Context, origin: Origin, destination: Destination) -> None:
    """The SANDBOX tier sends only to verified or simulator destinations; nobody sends to opted-out ones."""
    if not destination.simulator_country and ctx.runtime.account_tier(ctx.tx, ctx.scope.account_id) == "SANDBOX":
        verified = verified_numbers.find_by_number(ctx, destination.number)
        if verified is None or verified.data.get("Status") != "VERIFIED":
            raise Conflict("DESTINATION_PHONE_NUMBER_NOT_VERIFIED", VERIFIED_DESTINATION, destination.number,
                           f"{destination.number} is not a verified destination (the account is in the sandbox).")
    if opt_outs.is_opted_out(ctx.in_scope(origin.owner or ctx.scope), origin.opt_out_list, destination.number):
        raise Conflict("DESTINATION_PHONE_NUMBER_OPTED_OUT", "opt-out-list", origin.opt_out_list,
                       f"{destination.number} has opted out ({origin.opt_out_list}).")


def check_price(max_price: str | None, price: pricing.Price, field: str) -> None:
    if max_price is not None and price.total_micros > pricing.to_micros(Decimal(max_price)):
        raise Invalid("PRICE_OVER_THRESHOLD",
                      f"The message costs USD {price.total_micros / pricing.MICROS:.5f}, more than {field} {max_price}.",
                      [FieldViolation(field, f"The price exceeds {max_price}")])


def check_spend(ctx: Context, channel: str, price: pricing.Price) -> None:
    """This month's booked spend plus this message must stay within the channel's monthly spend limit."""
    limit, _ = enforced_limit(ctx, f"{channel}_MESSAGE_MONTHLY_SPEND_LIMIT")
    spent = outbox.spent(ctx.tx, ctx.scope, channel, pricing.month_of(ctx.now))
    if spent + price.total_micros > limit * pricing.MICROS:
        raise QuotaExceeded(f"MONTHLY_SPEND_LIMIT_REACHED_FOR_{channel}",
                            f"The monthly {channel.lower()} spend limit of USD {limit} is reached.")


def common_payload(ctx: Context, params: Params, origin: Origin, destination: Destination,
                   configuration_set: dict[str, Any], price: pricing.Price) -> dict[str, Any]:
    return {
        "IsoCountryCode": destination.iso_country,
        "IsInternationalSend": origin.iso_country != destination.iso_country,
        "Network": carrier_lookup.network_of(destination.number),
        "OriginationIdentityArn": origin.arn, "NumberType": origin.number_type, "Connection": origin.connection,
        "ConfigurationSetName": configuration_set.get("ConfigurationSetName"),
        "PriceMicros": price.price_micros, "CarrierFeeMicros": price.carrier_fee_micros,
        "Keyword": params.get("Keyword"), "ProtectConfigurationId": params.get("ProtectConfigurationId"),
        "DestinationCountryParameters": params.get("DestinationCountryParameters") or {},
        "RequestId": ctx.request_id,
    }


def enqueue(ctx: Context, message_id: str, channel: str, origin: Origin, destination: Destination,
            time_to_live: int | None, payload: dict[str, Any]) -> None:
    ttl = time_to_live or DEFAULT_TIME_TO_LIVE
    ctx.queue_message(outbox.new_row(ctx.scope, {
        "message_id": message_id, "channel": channel, "origination_identity": origin.value,
        "destination": destination.number, "created_at": ctx.now, "due_at": ctx.now,
        "expires_at": ctx.now + ttl, "payload": {**payload, "TimeToLive": ttl},
    }))
