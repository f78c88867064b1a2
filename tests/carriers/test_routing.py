"""Routing rules (pigeon/carriers/routing.py): first match wins, simulator numbers always simulated, a number's
inventory connection first, and a configuration that cannot work stops the server at start with one line."""

from __future__ import annotations

from typing import Any

import pytest

from pigeon.carriers.base import Ack, Outgoing, SingleSubmitConnector
from pigeon.carriers.routing import Router, check
from pigeon.carriers.simulator import SimulatorCarrier
from pigeon.settings import load_settings


class Named(SingleSubmitConnector):
    def __init__(self, name: str) -> None:
        self.name = name

    def submit(self, outgoing: Outgoing) -> Ack:
        return Ack(True, f"{self.name}-{outgoing.message_id}", carrier=self.name)

    def receipts(self) -> list[Any]:
        return []

    def close(self) -> None:
        pass


SMPP = {"type": "smpp", "host": "127.0.0.1"}
CARRIERS = [{"name": "uk", **SMPP}, {"name": "us", **SMPP}]


def outgoing(destination: str, channel: str = "TEXT", **extra: Any) -> Outgoing:
    fields: dict[str, Any] = {"number_type": "LONG_CODE", "iso_country": "GB", **extra}
    return Outgoing("m", channel, fields.pop("origination", "+447400000001"), destination, fields.pop("iso_country"),
                    "hi", "GSM", 1, **fields)


def router(routes: list[dict[str, Any]]) -> Router:
    carriers = {"uk": Named("uk"), "us": Named("us")}
    return Router(SimulatorCarrier(), carriers, check(CARRIERS, routes), {"uk": frozenset({"TEXT"}),
                                                                          "us": frozenset({"TEXT"})})


def test_the_first_matching_route_wins_and_what_none_matches_is_simulated():
    routes = router([{"carrier": "uk", "destination_prefixes": ["+44"]},
                     {"carrier": "us", "destination_countries": "US", "number_types": ["TOLL_FREE"]}])
    assert routes.route(outgoing("+447411000001")).name == "uk"
    assert routes.route(outgoing("+12065550100", iso_country="US", number_type="TOLL_FREE")).name == "us"
    assert routes.route(outgoing("+12065550100", iso_country="US")).name == "simulator"
    assert routes.route(outgoing("+447411000001", "VOICE")).name == "simulator"  # SMPP carries no calls


def test_simulator_numbers_are_simulated_whatever_the_routes_say():
    routes = router([{"carrier": "uk"}])
    assert routes.route(outgoing("+14254147755")).name == "simulator"
    assert routes.route(outgoing("+447411000001", number_type="SIMULATOR")).name == "simulator"
    assert routes.route(outgoing("+447411000001")).name == "uk"


def test_a_number_from_an_inventory_block_sends_through_its_connection():
    routes = router([{"carrier": "uk"}])
    assert routes.route(outgoing("+447411000001", connection="us")).name == "us"
    assert routes.route(outgoing("+447411000001", connection="nowhere")).name == "uk"


def test_without_routes_each_channel_goes_to_the_first_carrier_that_carries_it():
    assert Router(SimulatorCarrier(), {"uk": Named("uk")}, check(CARRIERS[:1], [])).route(
        outgoing("+33612345678")).name == "uk"


def test_submit_many_keeps_the_order_of_messages_routed_to_different_carriers():
    routes = router([{"carrier": "uk", "destination_prefixes": "+44"}, {"carrier": "us", "destination_prefixes": "+1"}])
    results = routes.submit_many([outgoing("+447411000001"), outgoing("+12065550100"), outgoing("+33612345678")])
    assert [result.carrier for result in results] == ["uk", "us", ""]  # type: ignore[union-attr]


@pytest.mark.parametrize("carriers,routes,message", [
    ([{"name": "uk", **SMPP}], [{"carrier": "fr"}], "no carrier of that name"),
    ([{"name": "uk", **SMPP}], [{"carrier": "uk", "channels": ["VOICE"]}], "carries TEXT only"),
    ([{"name": "uk", **SMPP}], [{"carrier": "uk", "destination": "+44"}], "unknown criterion"),
    ([{"name": "uk", **SMPP}], [{"carrier": "uk", "destination_prefixes": ["44"]}], "E.164"),
    ([{"name": "uk", "type": "smtp"}], [], "needs a name and a type"),
    ([{"name": "uk", "type": "smpp"}], [], "needs the SMSC's host"),
    ([{"name": "uk", **SMPP, "window": 0}], [], "window is 1-1000"),
    ([{"name": "uk", **SMPP, "bind_mode": "duplex"}], [], "bind_mode is one of"),
    ([{"name": "uk", **SMPP, "passwd": "x"}], [], "unknown SMPP settings passwd"),
    ([{"name": "uk", **SMPP}, {"name": "uk", **SMPP}], [], "used twice"),
])
def test_a_configuration_that_cannot_work_is_refused_with_one_line(carriers, routes, message):
    with pytest.raises(ValueError, match=message) as refused:
        load_settings({}, environ={"PIGEON_CARRIERS": str(carriers), "PIGEON_ROUTES": str(routes)})
    assert "\n" not in str(refused.value)
