"""The number inventory: which phone numbers and sender IDs may be had, at what monthly price, and from where.

Rules per country and number type come from data/countries.yaml, monthly prices from data/pricing.yaml
(section ``leasing``). A phone number is handed to one account and region at a time: every allocation is a
row of the resources table in the reserved scope ``INVENTORY_SCOPE``, keyed by the E.164 number, so the
table's unique key refuses a second holder (even from another process on the same PostgreSQL).

Where numbers come from:
- operators list numbers or ranges per country and type in the ``number_inventory`` setting, each block tied
  to a carrier connection name (kept on the number as ``_Connection`` for the sending layer);
- otherwise (developers' default) Pigeon makes up a number from ``phonenumbers`` metadata: the country's
  example number for the type with its trailing digits drawn at random, kept only if it parses as a valid
  number of that country and type.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources as package_files
from typing import Any

import phonenumbers
import sqlalchemy as sa
import yaml
from phonenumbers import PhoneNumberType as PN

from pigeon.errors import FieldViolation, Invalid
from pigeon.scope import Scope
from pigeon.service.context import Context
from pigeon.store import resources
from pigeon.store.resources import Record

INVENTORY_SCOPE = Scope("", "_inventory")
ALLOCATION = "number-allocation"
DEFAULT_CONNECTION = "simulator"

_GENERATED_TYPES: dict[str, tuple[str, tuple[int, ...]]] = {
    # NumberType -> (phonenumbers example type, accepted phonenumbers types of the made-up number)
    "TOLL_FREE": ("TOLL_FREE", (PN.TOLL_FREE,)),
    "LONG_CODE": ("MOBILE", (PN.MOBILE, PN.FIXED_LINE_OR_MOBILE)),
    "TEN_DLC": ("FIXED_LINE_OR_MOBILE", (PN.FIXED_LINE_OR_MOBILE, PN.MOBILE, PN.FIXED_LINE)),
    "SIMULATOR": ("FIXED_LINE_OR_MOBILE", (PN.FIXED_LINE_OR_MOBILE, PN.MOBILE, PN.FIXED_LINE)),
}
_FALLBACK_EXAMPLE = {"LONG_CODE": ("FIXED_LINE", (PN.FIXED_LINE, PN.FIXED_LINE_OR_MOBILE))}
_random = random.Random()


@dataclass(frozen=True)
class Allocation:
    phone_number: str
    connection: str


def _data(name: str) -> dict[str, Any]:
    return yaml.safe_load(package_files.files("pigeon.data").joinpath(name).read_text())


@lru_cache(maxsize=1)
def countries() -> dict[str, Any]:
    return _data("countries.yaml")


@lru_cache(maxsize=1)
def pricing() -> dict[str, Any]:
    return _data("pricing.yaml")


def is_country(iso_country_code: str) -> bool:
    return iso_country_code in phonenumbers.SUPPORTED_REGIONS


def _blocks(ctx: Context, iso: str, number_type: str) -> list[Mapping[str, Any]]:
    return list((ctx.settings.number_inventory.get(iso) or {}).get(number_type) or [])


def capabilities(ctx: Context, iso: str, number_type: str) -> list[str] | None:
    """The capabilities a number of this country and type may have, or None where the type is not offered."""
    blocks = _blocks(ctx, iso, number_type)
    if blocks:
        offered = {cap for block in blocks for cap in block.get("capabilities") or ["SMS", "VOICE"]}
        return sorted(offered)
    return (countries()["phone_numbers"].get(iso) or {}).get(number_type)


def check_request(ctx: Context, iso: str, number_type: str, message_type: str, wanted: list[str]) -> None:
    """Refuse a country, type, message type or capability that is not offered, naming the field."""
    if not is_country(iso):
        raise Invalid.field("IsoCountryCode", f"{iso} is not a known country or region.")
    if number_type == "SIMULATOR" and message_type != "TRANSACTIONAL":
        raise Invalid.field("MessageType", "A SIMULATOR phone number must be requested with MessageType TRANSACTIONAL.")
    offered = capabilities(ctx, iso, number_type)
    if offered is None:
        raise Invalid.field("NumberType", f"{number_type} phone numbers are not available in {iso}.")
    missing = [cap for cap in dict.fromkeys(wanted) if cap not in offered]
    if missing == ["VOICE"]:
        raise Invalid("VOICE_CAPABILITY_NOT_AVAILABLE", f"{number_type} numbers in {iso} cannot make voice calls.",
                      [FieldViolation("NumberCapabilities", "VOICE is not available for this number type")])
    if missing:
        raise Invalid.field("NumberCapabilities",
                            f"{', '.join(missing)} not available for {number_type} numbers in {iso}.")


def check_international_sending(iso: str, number_type: str, enabled: bool | None) -> None:
    """Only the number types data/countries.yaml lists (US toll-free) may send internationally."""
    if enabled and number_type not in (countries().get("international_sending") or {}).get(iso, []):
        raise Invalid("INTERNATIONAL_SENDING_NOT_SUPPORTED",
                      f"{number_type} numbers in {iso} cannot send internationally.",
                      [FieldViolation("InternationalSendingEnabled", "Not available for this number")])


def leasing_price(kind: str, iso: str, number_type: str | None = None) -> str:
    """The monthly price of a phone number (``kind`` "phone_numbers") or sender ID ("sender_ids")."""
    table = pricing()["leasing"][kind]
    if number_type is not None:
        table = table.get(number_type) or {}
    return str(table.get(iso, table.get("default", "0.00")))


def _make_up(iso: str, number_type: str) -> Iterator[str]:
    """Valid-looking numbers of the country and type, drawn at random from its example number."""
    for example_name, accepted in filter(None, (_GENERATED_TYPES.get(number_type), _FALLBACK_EXAMPLE.get(number_type))):
        example = phonenumbers.example_number_for_type(iso, getattr(PN, example_name))
        if example is None:
            continue
        national = phonenumbers.national_significant_number(example)
        keep = min(3, max(1, len(national) - 4))
        prefix = f"+{example.country_code}{national[:keep]}"
        for _ in range(200):
            candidate = prefix + "".join(_random.choice("0123456789") for _ in range(len(national) - keep))
            parsed = phonenumbers.parse(candidate, None)
            if phonenumbers.is_valid_number_for_region(parsed, iso) and phonenumbers.number_type(parsed) in accepted:
                yield candidate


def _listed(block: Mapping[str, Any]) -> Iterator[str]:
    """The numbers of an operator's block, in order: its list, then its ranges."""
    yield from (str(number) for number in block.get("numbers") or [])
    for first, last in block.get("ranges") or []:
        width = len(str(first).lstrip("+"))
        for value in range(int(str(first).lstrip("+")), int(str(last).lstrip("+")) + 1):
            yield f"+{value:0{width}d}"


def _holding(ctx: Context, holder: Record) -> dict[str, str]:
    return {"AccountId": ctx.scope.account_id, "Region": ctx.scope.region, "Id": holder.resource_id}


def _claim(ctx: Context, number: str, holder: Record) -> bool:
    """Record ``number`` as held by ``holder``; False when another account or region holds it."""
    if resources.get(ctx.tx, INVENTORY_SCOPE, ALLOCATION, number) is not None:
        return False
    allocation = Record(ALLOCATION, number, number, f"inventory:{number}", ctx.now, _holding(ctx, holder))
    try:
        with ctx.tx.begin_nested():
            resources.insert(ctx.tx, INVENTORY_SCOPE, allocation)
    except sa.exc.IntegrityError:
        return False
    return True


def allocate(ctx: Context, iso: str, number_type: str, holder: Record) -> Allocation:
    """A number of this country and type no one else holds, now held by ``holder`` (a phone-number record)."""
    blocks = _blocks(ctx, iso, number_type)
    for block in blocks:
        for number in _listed(block):
            if _claim(ctx, number, holder):
                return Allocation(number, str(block.get("connection") or DEFAULT_CONNECTION))
    if not blocks:
        for attempt, number in enumerate(_make_up(iso, number_type)):
            if _claim(ctx, number, holder):
                return Allocation(number, DEFAULT_CONNECTION)
            if attempt > 50:
                break
    raise Invalid.field("NumberType", f"No {number_type} phone number is available in {iso} right now.")


def release(ctx: Context, number: str, holder: Record) -> None:
    """Give ``number`` back to the inventory (only its holder can)."""
    found = resources.get(ctx.tx, INVENTORY_SCOPE, ALLOCATION, number, for_update=True)
    if found is not None and found.data == _holding(ctx, holder):
        resources.delete(ctx.tx, found)
