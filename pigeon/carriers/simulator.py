"""The simulated carrier (default connector): AWS's simulator numbers behave as documented, every other
destination is delivered unless a configured rule says otherwise.

A rule is ``{"prefix": "+4477009", "status": "UNREACHABLE"}`` (a final failure), optionally
``"transient": true`` (the carrier refuses for now; the dispatcher retries with backoff until the TTL ends).
The longest matching prefix wins. A final rule applies to the channels that have its status as an AWS event
type (``CARRIER_FAILURES``: a BUSY rule ends calls, an UNREACHABLE rule ends texts and media, so no record
claims an event type AWS does not have); a transient rule applies to every channel. A status of no channel
is refused when the settings are read, so a typo never silently delivers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources as package_data
from typing import Any

import yaml

from pigeon.carriers.base import Ack, Outgoing, Receipt, SingleSubmitConnector, TransientCarrierError


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


_TEXT_FAILURES = frozenset({"INVALID", "INVALID_MESSAGE", "UNREACHABLE", "CARRIER_UNREACHABLE", "BLOCKED",
                            "CARRIER_BLOCKED", "SPAM", "UNKNOWN"})
CARRIER_FAILURES: dict[str, frozenset[str]] = {
    "TEXT": _TEXT_FAILURES, "MEDIA": _TEXT_FAILURES, "VOICE": frozenset({"BUSY", "NO_ANSWER", "FAILED"})}
"""The refusals a carrier can answer, per channel: the failure event types ``{CHANNEL}_{status}`` of the
model's EventType enum, without those Pigeon decides itself (TTL_EXPIRED, PROTECT_BLOCKED, MEDIA_FILE_*)."""


@dataclass(frozen=True)
class Rule:
    prefix: str
    status: str
    transient: bool = False
    description: str = ""
    channels: frozenset[str] = frozenset(CARRIER_FAILURES)


def parse_rules(raw: Iterable[Mapping[str, Any]]) -> list[Rule]:
    """The configured rules, longest prefix first; ValueError (one line) for a rule that cannot be right."""
    rules = [_rule(entry) for entry in raw]
    return sorted(rules, key=lambda rule: len(rule.prefix), reverse=True)


def _rule(entry: Mapping[str, Any]) -> Rule:
    if not isinstance(entry, Mapping) or not str(entry.get("prefix") or "").startswith("+"):
        raise ValueError(f"simulator rule {entry!r}: needs a prefix of E.164 digits, e.g. {{prefix: '+4477009'}}")
    prefix, status = str(entry["prefix"]), str(entry.get("status", "CARRIER_UNREACHABLE")).upper()
    channels = frozenset(channel for channel, statuses in CARRIER_FAILURES.items() if status in statuses)
    if not channels:
        raise ValueError(f"simulator rule {prefix}: status {status} is no carrier failure of any channel "
                         f"(text and media: {', '.join(sorted(_TEXT_FAILURES))}; "
                         f"voice: {', '.join(sorted(CARRIER_FAILURES['VOICE']))})")
    transient = bool(entry.get("transient", False))
    return Rule(prefix, status, transient, str(entry.get("description", "")),
                frozenset(CARRIER_FAILURES) if transient else channels)


def check_failure_status(status: str | None) -> None:
    """The status of AWS's failure simulator numbers for texts and media (calls end VOICE_FAILED)."""
    if status is not None and status.upper() not in _TEXT_FAILURES:
        raise ValueError(f"simulator_failure_status {status}: not a text carrier failure "
                         f"({', '.join(sorted(_TEXT_FAILURES))})")


class SimulatorCarrier(SingleSubmitConnector):
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
        rule = self._rule_for(outgoing.destination, outgoing.channel) if self.rules else None
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

    def _rule_for(self, destination: str, channel: str) -> Rule | None:
        return next((rule for rule in self.rules
                     if channel in rule.channels and destination.startswith(rule.prefix)), None)

    def receipts(self) -> list[Receipt]:
        with self._lock:
            ready, self._receipts = self._receipts, []
        return ready

    def close(self) -> None:
        with self._lock:
            self._receipts = []
