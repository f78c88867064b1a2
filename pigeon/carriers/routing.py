"""Routing: which connector carries a message (STYLE 21: filter -> route -> connector, in typed Python).

Settings name the carriers (``carriers: [{name: uk-smsc, type: smpp, host: ..., ...}]``) and an ordered list
of routes (``routes: [{carrier: uk-smsc, destination_prefixes: ["+44"], channels: [TEXT]}]``). A route
matches when every criterion it names matches (a list means any of its values); the first matching route
wins. Before any route, a number from an inventory block naming a carrier (``number_inventory: ...
connection: uk-smsc``) sends through that carrier, and AWS's simulator numbers (a SIMULATOR origination or a simulator destination) go to
the simulator, as on AWS; after the last, the simulator takes what no route matched. With carriers but no
routes, each channel goes to the first carrier that carries it (SMPP: text; SIP: voice). A route naming an
unknown carrier, a carrier that cannot carry the route's channels, or an unknown criterion stops the server
at start with one line.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pigeon.carriers.base import Connector, InboundHandler, Outgoing, Receipt, SubmitResult
from pigeon.carriers.simulator import SimulatorCarrier, is_simulator_destination

log = logging.getLogger("pigeon.carriers")

CHANNELS = ("TEXT", "MEDIA", "VOICE")
CARRIER_TYPES: dict[str, tuple[str, frozenset[str]]] = {
    "smpp": ("pigeon.carriers.smpp", frozenset({"TEXT"})),
    "sip": ("pigeon.carriers.sip", frozenset({"VOICE"})),
}
"""type -> (module, the channels it can carry). Each module has ``parse_config(mapping) -> config`` (ValueError
with one line for a bad one; importable without optional extras) and ``connect(config, CarrierContext) ->
Connector``."""
SIMULATOR = "simulator"
_CRITERIA = {"channels", "destination_prefixes", "destination_countries", "originations", "number_types"}
_SINGULAR = {"channel": "channels", "destination_prefix": "destination_prefixes",
             "destination_country": "destination_countries", "origination": "originations",
             "number_type": "number_types"}


@dataclass(frozen=True)
class CarrierContext:
    """What a connector may use besides its own configuration."""

    inbound: InboundHandler | None = None
    """Where handset messages (MO) go: pigeon/inbound/carrier.py."""
    clock: Callable[[], float] | None = None
    data_dir: Any = None
    call_attempts: Any = None
    """Durable record of the calls placed (pigeon/messaging/call_attempts.CallAttempts): a SIP connector writes
    each attempt before its INVITE, so a message re-claimed after a crash is never called twice."""


@dataclass(frozen=True)
class Route:
    carrier: str
    channels: frozenset[str] = frozenset()
    destination_prefixes: tuple[str, ...] = ()
    destination_countries: frozenset[str] = frozenset()
    originations: frozenset[str] = frozenset()
    number_types: frozenset[str] = frozenset()

    def matches(self, outgoing: Outgoing) -> bool:
        return ((not self.channels or outgoing.channel in self.channels)
                and (not self.destination_prefixes or outgoing.destination.startswith(self.destination_prefixes))
                and (not self.destination_countries or outgoing.iso_country in self.destination_countries)
                and (not self.originations or outgoing.origination in self.originations)
                and (not self.number_types or outgoing.number_type in self.number_types))


def _values(raw: Any, name: str) -> list[str]:
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
        raise ValueError(f"route {name}: a non-empty string or list of strings")
    return values


def parse_route(entry: Mapping[str, Any]) -> Route:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("carrier"), str):
        raise ValueError(f"route {entry!r}: needs a carrier name, e.g. {{carrier: uk-smsc, destination_prefixes: ['+44']}}")
    criteria: dict[str, list[str]] = {}
    for key, raw in entry.items():
        if key == "carrier":
            continue
        name = _SINGULAR.get(key, key)
        if name not in _CRITERIA:
            raise ValueError(f"route to {entry['carrier']}: unknown criterion {key!r} "
                             f"(known: {', '.join(sorted(_CRITERIA))})")
        criteria[name] = criteria.get(name, []) + _values(raw, key)
    channels = {value.upper() for value in criteria.get("channels", [])}
    if channels - set(CHANNELS):
        raise ValueError(f"route to {entry['carrier']}: channels are {', '.join(CHANNELS)}")
    if any(not p.startswith("+") for p in criteria.get("destination_prefixes", [])):
        raise ValueError(f"route to {entry['carrier']}: destination prefixes are E.164, e.g. '+44'")
    return Route(entry["carrier"], frozenset(channels), tuple(criteria.get("destination_prefixes", [])),
                 frozenset(v.upper() for v in criteria.get("destination_countries", [])),
                 frozenset(criteria.get("originations", [])),
                 frozenset(v.upper() for v in criteria.get("number_types", [])))


def carrier_channels(config: Mapping[str, Any]) -> frozenset[str]:
    if not isinstance(config, Mapping) or not isinstance(config.get("name"), str) \
            or config.get("type") not in CARRIER_TYPES:
        raise ValueError(f"carrier {config!r}: needs a name and a type ({', '.join(CARRIER_TYPES)})")
    _module(config["type"]).parse_config(config)
    return CARRIER_TYPES[config["type"]][1]


def check(carriers: Sequence[Mapping[str, Any]], routes: Sequence[Mapping[str, Any]]) -> list[Route]:
    """The routes, checked against the carriers (ValueError, one line, for a configuration that cannot work)."""
    channels_of: dict[str, frozenset[str]] = {SIMULATOR: frozenset(CHANNELS)}
    for config in carriers:
        channels = carrier_channels(config)
        if config["name"] in channels_of:
            raise ValueError(f"carrier {config['name']}: the name is used twice (or is the simulator's)")
        channels_of[config["name"]] = channels
    parsed = [parse_route(entry) for entry in routes]
    for route in parsed:
        if route.carrier not in channels_of:
            raise ValueError(f"route to {route.carrier}: no carrier of that name (known: {', '.join(channels_of)})")
        wanted = route.channels or frozenset(CHANNELS)
        if route.carrier != SIMULATOR and not route.channels:
            wanted = channels_of[route.carrier]  # a route without channels takes what its carrier can carry
        if not wanted <= channels_of[route.carrier]:
            raise ValueError(f"route to {route.carrier}: it carries {', '.join(sorted(channels_of[route.carrier]))} "
                             f"only, not {', '.join(sorted(wanted - channels_of[route.carrier]))}")
    if not routes:  # each channel to the first carrier that carries it
        for channel in CHANNELS:
            first = next((c["name"] for c in carriers if channel in channels_of[c["name"]]), None)
            if first is not None:
                parsed.append(Route(first, frozenset({channel})))
    return [_with_channels(route, channels_of) for route in parsed]


def _with_channels(route: Route, channels_of: Mapping[str, frozenset[str]]) -> Route:
    if route.channels or route.carrier == SIMULATOR:
        return route
    return Route(route.carrier, channels_of[route.carrier], route.destination_prefixes, route.destination_countries,
                 route.originations, route.number_types)


def _module(kind: str) -> Any:
    return importlib.import_module(CARRIER_TYPES[kind][0])


class Router:
    """The dispatcher's one connector: routes each message to a configured carrier or the simulator."""

    name = "router"

    def __init__(self, simulator: SimulatorCarrier, carriers: Mapping[str, Connector] | None = None,
                 routes: Iterable[Route] = (), channels: Mapping[str, frozenset[str]] | None = None) -> None:
        self.simulator = simulator
        self.carriers = dict(carriers or {})
        self.routes = list(routes)
        self.channels = dict(channels or {})
        """Carrier name -> the channels it carries."""

    def route(self, outgoing: Outgoing) -> Connector:
        if outgoing.number_type == "SIMULATOR" or is_simulator_destination(outgoing.destination):
            return self.simulator
        own = self.carriers.get(outgoing.connection)  # the number's inventory block names its connection
        if own is not None and outgoing.channel in self.channels.get(outgoing.connection, frozenset()):
            return own
        for route in self.routes:
            if route.matches(outgoing):
                return self.simulator if route.carrier == SIMULATOR else self.carriers[route.carrier]
        return self.simulator

    def submit_many(self, outgoings: Sequence[Outgoing]) -> list[SubmitResult]:
        groups: dict[int, tuple[Connector, list[int]]] = {}
        for index, outgoing in enumerate(outgoings):
            connector = self.route(outgoing)
            groups.setdefault(id(connector), (connector, []))[1].append(index)
        results: list[SubmitResult | None] = [None] * len(outgoings)
        for connector, indexes in groups.values():
            for index, result in zip(indexes, connector.submit_many([outgoings[i] for i in indexes]), strict=True):
                results[index] = result
        return results  # type: ignore[return-value]

    def _all(self) -> list[Connector]:
        return [self.simulator, *self.carriers.values()]

    def receipts(self) -> list[Receipt]:
        return [receipt for connector in self._all() for receipt in connector.receipts()]

    def settle(self, receipts: Sequence[Receipt]) -> None:
        by_carrier: dict[str, list[Receipt]] = {}
        for receipt in receipts:
            by_carrier.setdefault(receipt.carrier, []).append(receipt)
        for name, settled in by_carrier.items():
            connector = self.carriers.get(name)
            if connector is not None:
                connector.settle(settled)

    def status(self) -> list[dict[str, Any]]:
        return [entry for connector in self._all() for entry in connector.status()]

    def close(self) -> None:
        for connector in self._all():
            try:
                connector.close()
            except Exception:  # noqa: BLE001 - one connector's failure must not keep the others open
                log.exception("closing carrier %s failed", getattr(connector, "name", "?"))


def build_router(simulator: SimulatorCarrier, carriers: Sequence[Mapping[str, Any]],
                 routes: Sequence[Mapping[str, Any]], context: CarrierContext) -> Router:
    """Start every configured carrier's connector (they connect in the background) behind one Router."""
    checked = check(carriers, routes)
    connectors = {config["name"]: _module(config["type"]).connect(_module(config["type"]).parse_config(config), context)
                  for config in carriers}
    return Router(simulator, connectors, checked, {config["name"]: carrier_channels(config) for config in carriers})
