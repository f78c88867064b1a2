"""The one way in for a handset's message to one of our numbers: ``receive``.

Carrier connectors, ``POST /_pigeon/inbound`` and ``pigeon inbound`` all call it. In one transaction it finds
the number (by its E.164 value, whatever account and region hold it), matches the message's first word
against the number's keywords, its pool's and the reserved words (pigeon/service/keywords.py), acts on the
keyword, queues the forwards (pigeon/inbound/forwarding.py) and records the message with what was done.

What a keyword does, unless the number (or its pool) has SelfManagedOptOutsEnabled:
- AUTOMATIC_RESPONSE (HELP, custom keywords): the KeywordMessage is sent back as a real text message;
- OPT_OUT (STOP, the required opt-out words, custom ones): the handset joins the number's opt-out list with
  EndUserOptedOut true, and the STOP message (or the keyword's) is sent back;
- OPT_IN (START, UNSTOP, custom ones): the handset leaves the list, and the keyword's message is sent back.
"When set to true you're responsible for responding to HELP and STOP requests. You're also responsible for
tracking and honoring opt-out requests": with self-managed opt-outs, HELP and the OPT_OUT and OPT_IN keywords
neither answer nor touch the list; the message is only forwarded. Custom AUTOMATIC_RESPONSE keywords answer.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.exc import IntegrityError

from pigeon.common import ids
from pigeon.errors import Conflict, FieldViolation, Invalid, NotFound, QuotaExceeded
from pigeon.inbound import forwarding, history
from pigeon.inbound.history import InboundResult
from pigeon.messaging import encoding
from pigeon.scope import Scope
from pigeon.service import identities, keywords, opt_outs, sending
from pigeon.service.context import Context
from pigeon.service.origination import Destination, Origin
from pigeon.store import resources
from pigeon.store.resources import Record

OPERATION = "Inbound"
MAX_BODY_LENGTH = 1600
ATTEMPTS = 3
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_UNSCOPED = Scope("", "")
"""The context's scope until the number is found (an inbound message names no account or region)."""


def receive(runtime: Any, origination_number: Any, destination_number: Any, body: Any,
            now: float | None = None) -> InboundResult:
    """Handle one message from the handset ``origination_number`` to our ``destination_number``.

    ValidationException for bad input, ResourceNotFoundException (phone-number) when no account holds the
    destination number. Everything it does is committed together, or nothing is.
    """
    handset, our_number, text = _checked(origination_number, destination_number, body)
    for attempt in range(1, ATTEMPTS + 1):
        ctx = Context(_UNSCOPED, runtime, OPERATION, ids.new_uuid(), runtime.clock.now() if now is None else now)
        try:
            result = handle(ctx, handset, our_number, text)
        except IntegrityError as error:  # a concurrent message from the same handset stored the same opt-out
            ctx.finish(error)
            if attempt == ATTEMPTS:
                raise
            continue
        except BaseException as error:
            ctx.finish(error)
            raise
        ctx.finish()
        return result
    raise AssertionError("unreachable")


def _checked(origination_number: Any, destination_number: Any, body: Any) -> tuple[Destination, str, str]:
    missing = [name for name, value in (("OriginationNumber", origination_number),
                                        ("DestinationNumber", destination_number), ("MessageBody", body))
               if value is None]
    if missing:
        raise Invalid("MISSING_PARAMETER", f"Missing {', '.join(missing)}",
                      [FieldViolation(name, "Required") for name in missing])
    for name, value in (("OriginationNumber", origination_number), ("DestinationNumber", destination_number),
                        ("MessageBody", body)):
        if not isinstance(value, str):
            raise Invalid.field(name, "Must be a string")
    if len(body) > MAX_BODY_LENGTH:
        raise Invalid.field("MessageBody", f"At most {MAX_BODY_LENGTH} characters")
    if "\x00" in body:  # no handset sends it, and PostgreSQL text cannot hold it
        raise Invalid.field("MessageBody", "Must not contain NUL characters")
    try:
        body.encode()
    except UnicodeEncodeError:  # a lone surrogate: a command-line argument that was not UTF-8
        raise Invalid.field("MessageBody", "Must be valid Unicode text") from None
    our_number = destination_number if destination_number.startswith("+") else f"+{destination_number}"
    if not _E164.fullmatch(our_number):
        raise Invalid.field("DestinationNumber", f"{destination_number} is not an E.164 phone number")
    if not _E164.fullmatch(origination_number if origination_number.startswith("+") else f"+{origination_number}"):
        raise Invalid.field("OriginationNumber", f"{origination_number} is not an E.164 phone number")
    return sending.destination_of(origination_number, "OriginationNumber"), our_number, body


def find_number(ctx: Context, our_number: str) -> Record:
    """The phone number record named ``our_number`` in any scope; the context takes its scope."""
    found = resources.list_by_name_in_any_scope(ctx.tx, identities.PHONE_NUMBER, our_number)
    if not found:
        raise NotFound(identities.PHONE_NUMBER, our_number,
                       f"No account holds the phone number {our_number}.")
    number = found[0]
    ctx.scope = number.scope
    if "SMS" not in number.data.get("NumberCapabilities", ["SMS"]):
        raise Conflict("NUMBER_CAPABILITIES_MISMATCH", identities.PHONE_NUMBER, number.resource_id,
                       f"The phone number {our_number} cannot receive SMS.")
    return number


def handle(ctx: Context, handset: Destination, our_number: str, body: str) -> InboundResult:
    """The work of ``receive`` inside its transaction."""
    number = find_number(ctx, our_number)
    pool_id = number.data.get("PoolId")
    pool = resources.get(ctx.tx, ctx.scope, identities.POOL, pool_id) if pool_id else None
    governing = pool or number  # a pool governs its numbers' opt-out list, two-way and self-managed settings
    previous = history.previous_message_id(ctx.tx, ctx.scope, our_number, handset.number)
    keyword = keywords.match(ctx, number, body)
    outcome: dict[str, Any] = {
        "MessageKeyword": keyword["Keyword"] if keyword else f"KEYWORD_{ctx.scope.account_id}",
        "OptOutListName": governing.data.get("OptOutListName") or identities.DEFAULT_OPT_OUT_LIST,
        "SelfManagedOptOutsEnabled": bool(governing.data.get("SelfManagedOptOutsEnabled")),
        "TwoWayEnabled": bool(governing.data.get("TwoWayEnabled")),
        "OptOut": None, "ResponseMessageId": None, "ResponseSkipped": None,
        "PreviousPublishedMessageId": previous,
    }
    if keyword is not None:
        _act(ctx, number, handset, keyword, outcome)
    inbound_message_id = ids.new_time_ordered_uuid()
    message = forwarding.payload(handset.number, our_number, outcome["MessageKeyword"], body,
                                 inbound_message_id, previous)
    outcome["Forwarded"], outcome["ForwardingSkipped"] = forwarding.forward(ctx, governing, message)
    result = InboundResult(inbound_message_id, ctx.scope.account_id, ctx.scope.region, handset.number,
                           our_number, number.resource_id, pool.resource_id if pool else None, body,
                           keyword["Keyword"] if keyword else None, keyword["KeywordAction"] if keyword else None,
                           ctx.now, outcome)
    history.insert(ctx.tx, result)
    return result


def _act(ctx: Context, number: Record, handset: Destination, keyword: keywords.Keyword,
         outcome: dict[str, Any]) -> None:
    """Opt out, opt in and answer as the keyword says (nothing for the reserved ones when self-managed)."""
    action = keyword["KeywordAction"]
    if outcome["SelfManagedOptOutsEnabled"] and (
            action != "AUTOMATIC_RESPONSE" or keyword["Keyword"].upper() == "HELP"):
        outcome["ResponseSkipped"] = "SELF_MANAGED_OPT_OUTS"
        return
    list_name = outcome["OptOutListName"]
    if action in ("OPT_OUT", "OPT_IN"):  # one change to the list at a time (STOP and START racing would collide)
        opt_outs.find_list(ctx, list_name, for_update=True)
    if action == "OPT_OUT":
        opt_outs.opt_out(ctx, list_name, handset.number, end_user=True)
        outcome["OptOut"] = "OPTED_OUT"
    elif action == "OPT_IN":
        outcome["OptOut"] = "OPTED_IN" if opt_outs.opt_in(ctx, list_name, handset.number) else "NOT_OPTED_OUT"
    _respond(ctx, number, handset, keyword["KeywordMessage"], outcome)


def _respond(ctx: Context, number: Record, handset: Destination, text: str, outcome: dict[str, Any]) -> None:
    """Send ``text`` back from the number that was written to, through the sending pipeline.

    A reply goes to whoever wrote, so the origination rules of SendTextMessage (country, simulator numbers),
    the sandbox and the opt-out list (the STOP confirmation goes to a handset that just opted out) do not
    apply; the price and the monthly spend limit do.
    """
    origin = Origin(number.name, number.arn, number.data.get("NumberType", "LONG_CODE"),
                    number.data.get("IsoCountryCode", handset.iso_country), outcome["OptOutListName"])
    message_type = number.data.get("MessageType") or "TRANSACTIONAL"
    try:
        outcome["ResponseMessageId"] = sending.accept_text(ctx, {"MessageBody": text}, origin, handset, {},
                                                           message_type, encoding.segment(text))
    except QuotaExceeded as refused:
        outcome["ResponseSkipped"] = refused.reason
