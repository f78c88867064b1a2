"""The simulated carrier (default connector): AWS's simulator numbers behave as documented, every other
destination is delivered unless a configured rule says otherwise.

A rule is ``{"prefix": "+4477009", "status": "UNREACHABLE"}`` (a final failure), optionally
``"transient": true`` (the carrier refuses for now; the dispatcher retries with backoff until the TTL ends).
The longest matching prefix wins.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources as package_data
from typing import Any

import yaml

from pigeon.carriers.base import Ack, Outgoing, Receipt, TransientCarrierError


@cache
def simulator_data() -> dict[str, Any]:
    return dict(yaml.safe_load(package_data.files("pigeon.data").joinpath("simulator.yaml").read_text()))


@cache
def destinations() -> dict[str, tuple[str, str]]:
    """E.164 -> (ISO country, "success" | "failure") for every destination simulator number."""
    found: dict[str, tuple[str, str]] = {}
    for iso, numbers in simulator_data()["destinations"].items():
        for outcome, number in numbers.items():
            found[number] = (iso, outcome)
    return found


def is_simulator_destination(number: str) -> bool:
    return number in destinations()


VOICE_CALL = ("RINGING", "ANSWERED", "COMPLETED")
"""A simulated call after VOICE_INITIATED (the failure numbers end it VOICE_FAILED; rules may answer BUSY or
NO_ANSWER)."""


@dataclass(frozen=True)
class Rule:
    prefix: str
    status: str
    transient: bool = False
    description: str = ""


def parse_rules(raw: Iterable[Mapping[str, Any]]) -> list[Rule]:
    rules = [Rule(str(r["prefix"]), str(r.get("status", "CARRIER_UNREACHABLE")).upper(),
                  bool(r.get("transient", False)), str(r.get("description", ""))) for r in raw]
    return sorted(rules, key=lambda rule: len(rule.prefix), reverse=True)


class SimulatorCarrier:
    """In-memory twin of a carrier: answers at once and queues the handset's delivery receipt."""

    def __init__(self, rules: Iterable[Mapping[str, Any]] = (), failure_status: str | None = None) -> None:
        self.rules = parse_rules(rules)
        self.failure_status = (failure_status or simulator_data()["failure_status"]).upper()
        self._receipts: list[Receipt] = []
        self._lock = threading.Lock()
        self._counter = 0

    def submit(self, outgoing: Outgoing) -> Ack:
        outcome = destinations().get(outgoing.destination, ("", "success"))[1]
        if outcome == "failure":
            return Ack(False, status="FAILED" if outgoing.channel == "VOICE" else self.failure_status)
        rule = self._rule_for(outgoing.destination) if self.rules else None
        if rule is not None:
            if rule.transient:
                raise TransientCarrierError(f"simulator rule {rule.prefix}: {rule.status}")
            return Ack(False, status=rule.status, description=rule.description)
        with self._lock:
            self._counter += 1
            carrier_id = f"sim-{self._counter:010d}"
            if outgoing.channel == "VOICE":
                self._receipts += [Receipt(outgoing.message_id, status, status == "COMPLETED")
                                   for status in VOICE_CALL]
                return Ack(True, carrier_id, status="INITIATED")
            self._receipts.append(Receipt(outgoing.message_id, "DELIVERED", True))
        return Ack(True, carrier_id)

    def _rule_for(self, destination: str) -> Rule | None:
        return next((rule for rule in self.rules if destination.startswith(rule.prefix)), None)

    def receipts(self) -> list[Receipt]:
        with self._lock:
            ready, self._receipts = self._receipts, []
        return ready

    def close(self) -> None:
        with self._lock:
            self._receipts = []
