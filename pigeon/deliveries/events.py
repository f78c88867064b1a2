"""Event records -> deliveries for the event destinations of the message's configuration set.

Called in the transaction that writes the records to the local event log, so a record reaches its
destinations even when the process dies right after the commit. A destination takes a record when it is
enabled and its MatchingEventTypes include the record's type, its channel's ``*_ALL`` or ``ALL``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Connection

from pigeon import deliveries
from pigeon.events.destinations import matches
from pigeon.scope import Scope
from pigeon.store import resources


def for_events(tx: Connection, items: Iterable[tuple[Scope, str | None, dict[str, Any]]], now: float) -> int:
    """Queue a delivery per (record, matching destination); return how many were queued."""
    destinations: dict[tuple[Scope, str], list[dict[str, Any]]] = {}
    queued = 0
    for scope, configuration_set, record in items:
        if not configuration_set:
            continue
        key = (scope, configuration_set)
        if key not in destinations:
            found = resources.get_by_name(tx, scope, "configuration-set", configuration_set)
            destinations[key] = list(found.data.get("EventDestinations", [])) if found else []
        for destination in destinations[key]:
            if matches(destination, record["eventType"]):
                deliveries.enqueue(tx, scope, "event-destination", destination, record, now)
                queued += 1
    return queued
