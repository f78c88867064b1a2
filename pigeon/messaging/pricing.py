"""Message prices from ``pigeon/data/pricing.yaml`` (section ``messages``) and the month spend is booked in.

Money is kept as integer micro-dollars (USD 1 = 1,000,000) so sums in the store are exact; event records
and MaxPrice comparisons convert at the edge.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from importlib import resources as package_data
from typing import Any

import yaml

MICROS = 1_000_000
CHANNELS = ("TEXT", "MEDIA", "VOICE")


@dataclass(frozen=True)
class Price:
    """What one message costs, in micro-dollars: the base price and the carrier fee, both for all its units."""

    price_micros: int
    carrier_fee_micros: int

    @property
    def total_micros(self) -> int:
        return self.price_micros + self.carrier_fee_micros

    @property
    def total_price(self) -> float:
        """totalMessagePrice of the event records (USD, float)."""
        return self.price_micros / MICROS

    @property
    def total_carrier_fee(self) -> float:
        return self.carrier_fee_micros / MICROS


FREE = Price(0, 0)
"""The price of what is not charged (a number's first verification code)."""


@cache
def table() -> dict[str, Any]:
    text = package_data.files("pigeon.data").joinpath("pricing.yaml").read_text()
    return dict(yaml.safe_load(text)["messages"])


def to_micros(usd: str | Decimal) -> int:
    return int((Decimal(usd) * MICROS).to_integral_value())


def _level(mapping: dict[str, Any], key: str | None) -> dict[str, Any]:
    return mapping.get(key or "default") or mapping["default"]


@cache
def unit_price(channel: str, iso_country: str, number_type: str, message_type: str) -> tuple[int, int]:
    """(price, carrier fee) in micro-dollars for one unit (text part, media message, voice minute)."""
    by_country = table()[channel.lower()]
    entry = _level(_level(_level(by_country, iso_country), number_type), message_type)
    return to_micros(entry["price"]), to_micros(entry["carrier_fee"])


def price_of(channel: str, iso_country: str, number_type: str, message_type: str, units: int) -> Price:
    price, fee = unit_price(channel, iso_country, number_type, message_type)
    return Price(price * units, fee * units)


def month_of(timestamp: float) -> str:
    """The calendar month (UTC) spend is booked in: ``YYYY-MM``."""
    return _month_of_hour(int(timestamp // 3600))  # a month always begins on the hour


@lru_cache(maxsize=64)
def _month_of_hour(hour: int) -> str:
    moment = time.gmtime(hour * 3600)
    return f"{moment.tm_year:04d}-{moment.tm_mon:02d}"
