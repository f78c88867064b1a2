"""Phone numbers, parsed once per distinct value: every send reads its destination (and checks it against an
opt-out list), and parsing a number with phonenumbers costs tens of microseconds."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers


@dataclass(frozen=True)
class Parsed:
    e164: str
    """The value with a leading + added when it had none."""
    number: phonenumbers.PhoneNumber | None
    """None when phonenumbers cannot read it at all. Shared between callers: never modify it."""
    possible: bool
    valid: bool
    region: str | None
    """The ISO country of a valid number."""


@lru_cache(maxsize=65536)
def parse(value: str) -> Parsed:
    e164 = value if value.startswith("+") else "+" + value
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return Parsed(e164, None, False, False, None)
    valid = phonenumbers.is_valid_number(number)
    return Parsed(e164, number, phonenumbers.is_possible_number(number), valid,
                  phonenumbers.region_code_for_number(number) if valid else None)
