"""Which origination identity a send goes from: the one named, the configuration set's default sender ID,
or (none given) one of the account's identities suited to the destination's country.

Rules (SendTextMessage): a phone number must be ACTIVE and able to send SMS; it sends within its own
country unless InternationalSendingEnabled; a SIMULATOR number sends only to destination simulator numbers
of its country; a sender ID belongs to one country and is not used where sender IDs are not supported
(US, CA, ...); a pool sends from the first member that fits, with the pool's opt-out list, and (text only)
from the shared route when none fits and its SharedRoutesEnabled is true ("your messages are sent using
phone numbers or sender IDs ... that are shared with other users", not in countries without sender IDs).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources as package_data
from typing import Any

import yaml

from pigeon.carriers.simulator import destinations as simulator_destinations
from pigeon.errors import Conflict, Invalid
from pigeon.scope import Scope
from pigeon.service import identities
from pigeon.service.context import Context
from pigeon.service.registrations.review import identity_registered as registered
from pigeon.store import resources
from pigeon.store.resources import Record

REGISTRATION_REQUIRED = frozenset({("US", "TOLL_FREE"), ("US", "TEN_DLC")})
"""Numbers whose text and media traffic carriers accept only once registered (toll-free verification, 10DLC
campaign); see aws-facts §6 and docs/decisions.md. Voice calls are not gated."""

SHARED_SENDER_ID = "NOTICE"
"""The generic sender ID of AWS's shared routes (see SetDefaultSenderId in the API reference)."""


@dataclass(frozen=True)
class Destination:
    number: str
    iso_country: str
    simulator_country: str | None
    """The country whose destination simulator number this is (None for a real number)."""


@dataclass(frozen=True)
class Origin:
    """The identity a message goes out from, as event records and pricing need it."""

    value: str
    """originationPhoneNumber of the events: the E.164 number or the sender ID."""
    arn: str
    number_type: str
    iso_country: str
    opt_out_list: str
    owner: Scope | None = None
    """The scope the identity (and its opt-out list) belongs to, when another account shares it."""
    connection: str = ""
    """The carrier connection of the number's inventory block (``number_inventory``), if it names one."""


@cache
def _sender_id_not_supported() -> frozenset[str]:
    countries = yaml.safe_load(package_data.files("pigeon.data").joinpath("countries.yaml").read_text())
    return frozenset(countries.get("sender_ids", {}).get("not_supported", []))


def choose(ctx: Context, value: str | None, destination: Destination, default_sender_id: str | None,
           capability: str = "SMS") -> Origin:
    """The origin of a message to ``destination`` needing ``capability`` (SMS, MMS or VOICE: phone numbers
    only, no sender IDs), or the documented error."""
    if value:
        record = identities.resolve(ctx, value, destination.iso_country, shared_action=f"sms-voice:{ctx.operation}")
        if record.resource_type == identities.POOL:
            return _from_pool(ctx, record, destination, capability, default_sender_id)
        _check(ctx, record, destination, capability)
        return _origin(record, record.data.get("OptOutListName"))
    for record in _candidates(ctx, destination):
        if _fits(ctx, record, destination, capability):
            return _origin(record, record.data.get("OptOutListName"))
    if not _shared_route_serves(destination, capability):
        raise Conflict("NO_ORIGINATION_IDENTITIES_FOUND", "account", ctx.scope.account_id,
                       f"The account has no origination identity that can send to {destination.iso_country}.")
    return _shared_route(destination, default_sender_id, identities.DEFAULT_OPT_OUT_LIST)


def _shared_route_serves(destination: Destination, capability: str) -> bool:
    """Shared routes carry text only, and not where sender IDs are not supported (US, CA, ...)."""
    return capability == "SMS" and destination.iso_country not in _sender_id_not_supported()


def _shared_route(destination: Destination, default_sender_id: str | None, opt_out_list: str) -> Origin:
    return Origin(default_sender_id or SHARED_SENDER_ID, "", "SHARED", destination.iso_country, opt_out_list)


_CAPABILITY_REFUSALS = frozenset({"NUMBER_CAPABILITIES_MISMATCH", "VOICE_CAPABILITY_NOT_AVAILABLE"})


def _from_pool(ctx: Context, pool: Record, destination: Destination, capability: str,
               default_sender_id: str | None) -> Origin:
    """The first member that can send; when none can, the refusal says why: no member has the capability
    (ConflictException NUMBER_CAPABILITIES_MISMATCH on the pool, as for a single number), else none can
    reach the destination's country (the first member's reason in the message)."""
    refusals: list[Invalid | Conflict] = []
    for member in identities.members_of(ctx, pool):
        try:
            _check(ctx, member, destination, capability)
        except (Conflict, Invalid) as refusal:
            refusals.append(refusal)
            continue
        return _origin(member, pool.data.get("OptOutListName"))
    if pool.data.get("SharedRoutesEnabled") and _shared_route_serves(destination, capability):
        return _shared_route(destination, default_sender_id,
                             pool.data.get("OptOutListName") or identities.DEFAULT_OPT_OUT_LIST)
    if refusals and all(refusal.reason in _CAPABILITY_REFUSALS for refusal in refusals):
        raise Conflict("NUMBER_CAPABILITIES_MISMATCH", identities.POOL, pool.resource_id,
                       f"No origination identity of pool {pool.resource_id} can send {capability}.")
    reason = f": {refusals[0].message}" if refusals else "."
    raise Invalid("INVALID_IDENTITY_FOR_DESTINATION_COUNTRY",
                  f"No origination identity of pool {pool.resource_id} can send to {destination.iso_country}{reason}")


def _candidates(ctx: Context, destination: Destination) -> list[Record]:
    """The account's phone numbers then sender IDs; simulator numbers first for a simulator destination."""
    numbers = resources.list_of(ctx.tx, ctx.scope, identities.PHONE_NUMBER)
    if destination.simulator_country:
        numbers.sort(key=lambda record: record.data.get("NumberType") != "SIMULATOR")
    return [*numbers, *resources.list_of(ctx.tx, ctx.scope, identities.SENDER_ID)]


def _fits(ctx: Context, record: Record, destination: Destination, capability: str) -> bool:
    try:
        _check(ctx, record, destination, capability)
    except (Conflict, Invalid):
        return False
    return True


def _check(ctx: Context, record: Record, destination: Destination, capability: str) -> None:
    data: dict[str, Any] = record.data
    kind, iso = record.resource_type, data.get("IsoCountryCode")
    if kind == identities.SENDER_ID and capability == "VOICE":
        raise Invalid("VOICE_CAPABILITY_NOT_AVAILABLE", f"The sender ID {data['SenderId']} cannot make voice calls.")
    if kind == identities.SENDER_ID and capability != "SMS":
        raise Conflict("NUMBER_CAPABILITIES_MISMATCH", kind, record.resource_id,
                       f"The sender ID {data['SenderId']} cannot send {capability}.")
    if kind == identities.SENDER_ID:
        if iso != destination.iso_country or iso in _sender_id_not_supported():
            raise Invalid("SENDER_ID_NOT_SUPPORTED",
                          f"The sender ID {data['SenderId']} cannot send to {destination.iso_country}.")
        return
    if data.get("Status", "ACTIVE") != "ACTIVE":
        raise Conflict("RESOURCE_NOT_ACTIVE", kind, record.resource_id)
    if capability not in data.get("NumberCapabilities", []):
        raise Conflict("NUMBER_CAPABILITIES_MISMATCH", kind, record.resource_id,
                       f"The phone number {data.get('PhoneNumber')} cannot send {capability}.")
    if data.get("NumberType") == "SIMULATOR" and destination.simulator_country != iso:
        raise Invalid("INVALID_IDENTITY_FOR_DESTINATION_COUNTRY",
                      "A simulator number sends only to destination simulator numbers of its country.")
    if iso != destination.iso_country and not data.get("InternationalSendingEnabled"):
        raise Invalid("INVALID_IDENTITY_FOR_DESTINATION_COUNTRY",
                      f"The phone number {data.get('PhoneNumber')} ({iso}) cannot send to "
                      f"{destination.iso_country}.")
    if (capability in ("SMS", "MMS") and (iso, data.get("NumberType")) in REGISTRATION_REQUIRED
            and not registered(ctx.in_scope(record.scope), record)):
        raise Conflict("REGISTRATION_NOT_COMPLETE", kind, record.resource_id,
                       f"The {data.get('NumberType')} number {data.get('PhoneNumber')} has no completed registration: "
                       "US toll-free and 10DLC numbers send text and media only once registered.")


def _origin(record: Record, opt_out_list: str | None) -> Origin:
    data = record.data
    if record.resource_type == identities.SENDER_ID:
        return Origin(data["SenderId"], record.arn, "SENDER_ID", data["IsoCountryCode"],
                      opt_out_list or identities.DEFAULT_OPT_OUT_LIST, record.scope)
    return Origin(data["PhoneNumber"], record.arn, data["NumberType"], data["IsoCountryCode"],
                  opt_out_list or identities.DEFAULT_OPT_OUT_LIST, record.scope, data.get("_Connection") or "")


def simulator_country(number: str) -> str | None:
    found = simulator_destinations().get(number)
    return found[0] if found else None
