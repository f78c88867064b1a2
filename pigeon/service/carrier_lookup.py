"""CarrierLookup: what a destination number is, from offline data only (no network lookup).

``phonenumbers`` gives validity, country, dialing code, number type and the carrier a number range was
allocated to (ported numbers keep their original carrier, as the spec allows: "the carrier or service
provider that the phone number was originally registered with"). MCC and MNC come from
data/mobile_networks.yaml (its sources are named at its top), for mobile numbers only.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources as package_files
from typing import Any

import phonenumbers
import yaml
from phonenumbers import PhoneNumberType as PN

from pigeon.common import phone
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation

_FORMATTING = re.compile(r"[^0-9]")
_TYPES = {
    PN.MOBILE: "MOBILE",
    PN.FIXED_LINE_OR_MOBILE: "MOBILE",
    PN.FIXED_LINE: "LANDLINE",
}
"""phonenumbers' type -> PhoneNumberType; every other valid type (toll-free, VoIP, pager, ...) is OTHER.
FIXED_LINE_OR_MOBILE (all of North America, where ranges are not split) counts as MOBILE: able to receive SMS."""


@lru_cache(maxsize=1)
def mobile_networks() -> dict[str, Any]:
    return yaml.safe_load(package_files.files("pigeon.data").joinpath("mobile_networks.yaml").read_text())


def _country_name(parsed: phonenumbers.PhoneNumber, iso: str | None) -> str | None:
    """The country's English name, also for non-geographic numbers (toll-free) of a country."""
    from phonenumbers import geocoder  # ~100 MB of geodata: loaded on the first lookup, not at start-up

    name = geocoder.country_name_for_number(parsed, "en")
    return name or (geocoder._region_display_name(iso, "en") if iso else None) or None


def e164(value: str) -> str:
    """The number without formatting characters (parentheses, brackets, spaces, hyphens, periods, commas)."""
    return "+" + _FORMATTING.sub("", value)


def lookup(value: str) -> dict[str, Any]:
    """CarrierLookup's answer for a number (also used by sending for event records)."""
    number = e164(value)
    result: dict[str, Any] = {"E164PhoneNumber": number, "PhoneNumberType": "INVALID"}
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return result
    result["DialingCountryCode"] = str(parsed.country_code)
    if not phonenumbers.is_valid_number(parsed):
        return result
    iso = phonenumbers.region_code_for_number(parsed)
    result.update(IsoCountryCode=iso, Country=_country_name(parsed, iso))
    result.update(_network(parsed, iso))
    return result


def _network(parsed: phonenumbers.PhoneNumber, iso: str | None) -> dict[str, Any]:
    """PhoneNumberType, Carrier and (mobile numbers only) MCC and MNC of a valid number."""
    from phonenumbers import carrier  # carrier data loaded on first use, like the geocoder

    number_type = _TYPES.get(phonenumbers.number_type(parsed), "OTHER")
    carrier_name = carrier.name_for_number(parsed, "en") or None
    found: dict[str, Any] = {"PhoneNumberType": number_type, "Carrier": carrier_name}
    if number_type == "MOBILE":
        networks = mobile_networks()
        code = (networks["networks"].get(iso) or {}).get(carrier_name or "")
        found["MCC"] = code[0] if code else networks["mcc"].get(iso)
        found["MNC"] = code[1] if code else None
    return found


@lru_cache(maxsize=65536)
def network_of(number: str) -> dict[str, str]:
    """The ``mcc``, ``mnc`` and ``carrierName`` event records carry for a destination (only those known).
    Offline data that never changes while the process runs: cached per number. Callers must not modify it."""
    parsed = phone.parse(number)
    if parsed.number is None or not parsed.valid:
        return {}
    found = _network(parsed.number, parsed.region)
    named = {"mcc": found.get("MCC"), "mnc": found.get("MNC"), "carrierName": found.get("Carrier")}
    return {key: value for key, value in named.items() if value}


@operation("CarrierLookup")
def carrier_lookup(ctx: Context, params: Params) -> Result:
    return lookup(params["PhoneNumber"])
