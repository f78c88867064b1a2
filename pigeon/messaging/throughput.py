"""Per-origination-identity MPS: a reservation schedule per identity (GCRA-style virtual time).

Each message sent takes ``parts / mps`` seconds of its identity's time line; a message may go while its
identity's line is no more than ``burst_seconds`` ahead of now, otherwise it waits until then (unreserved, so
a deferred message does not push the line further).
The schedule is per process: several workers sharing one PostgreSQL each hold an identity to its MPS, so an
operator running N workers divides the configured MPS by N (see docs/decisions.md).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import cache
from importlib import resources as package_data
from typing import Any

import yaml


@cache
def _defaults() -> dict[str, Any]:
    return dict(yaml.safe_load(package_data.files("pigeon.data").joinpath("throughput.yaml").read_text()))


def mps_for(number_type: str, iso_country: str, identity: str, overrides: Mapping[str, Any]) -> float:
    """The MPS of an identity: an override for the identity, then for its NumberType, then the data file."""
    for key in (identity, number_type):
        if key in overrides:
            return float(overrides[key])
    by_country = _defaults().get(number_type) or _defaults()["SHARED"]
    return float(by_country.get(iso_country, by_country["default"]))


class RateLimiter:
    """Send slots per key: ``acquire`` answers None (go now, slot taken) or the time to try again."""

    def __init__(self, burst_seconds: float = 1.0, max_keys: int = 100_000) -> None:
        self.burst_seconds = burst_seconds
        self._next_free: dict[str, float] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def acquire(self, key: str, parts: int, mps: float, now: float) -> float | None:
        with self._lock:
            if len(self._next_free) > self._max_keys:
                self._forget_before(now)
            start = max(self._next_free.get(key, now), now)
            if start - now > self.burst_seconds:
                return start - self.burst_seconds
            self._next_free[key] = start + parts / mps
            return None

    def _forget_before(self, now: float) -> None:
        self._next_free = {key: free for key, free in self._next_free.items() if free > now}
