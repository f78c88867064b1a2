"""The simulated carrier on its own: simulator numbers, rules, transient refusals, receipts."""

from __future__ import annotations

import pytest

from pigeon.carriers.base import Outgoing, TransientCarrierError
from pigeon.carriers.simulator import SimulatorCarrier, destinations


def _outgoing(destination: str, channel: str = "TEXT") -> Outgoing:
    return Outgoing("m-1", channel, "+12065550100", destination, "US", "hi", "GSM", 1)


def test_every_country_has_a_success_and_a_failure_number() -> None:
    outcomes: dict[str, set[str]] = {}
    for iso, outcome in destinations().values():
        outcomes.setdefault(iso, set()).add(outcome)
    assert len(outcomes) == 25
    assert all(found == {"success", "failure"} for found in outcomes.values())


def test_success_number_is_accepted_then_delivered() -> None:
    carrier = SimulatorCarrier()
    ack = carrier.submit(_outgoing("+14254147755"))
    assert ack.accepted and ack.carrier_message_id
    [receipt] = carrier.receipts()
    assert (receipt.message_id, receipt.status, receipt.is_final) == ("m-1", "DELIVERED", True)
    assert carrier.receipts() == []


def test_failure_number_is_refused_with_the_configured_status() -> None:
    assert SimulatorCarrier().submit(_outgoing("+14254147167")).status == "BLOCKED"
    ack = SimulatorCarrier(failure_status="carrier_unreachable").submit(_outgoing("+14254147167"))
    assert (ack.accepted, ack.status) == (False, "CARRIER_UNREACHABLE")


def test_longest_prefix_rule_wins() -> None:
    carrier = SimulatorCarrier([{"prefix": "+4477", "status": "UNREACHABLE"},
                                {"prefix": "+447700", "status": "SPAM"}])
    assert carrier.submit(_outgoing("+447700900123")).status == "SPAM"
    assert carrier.submit(_outgoing("+447712345678")).status == "UNREACHABLE"
    assert carrier.submit(_outgoing("+33612345678")).accepted


def test_transient_rule_raises_for_retry() -> None:
    carrier = SimulatorCarrier([{"prefix": "+3361", "transient": True}])
    with pytest.raises(TransientCarrierError):
        carrier.submit(_outgoing("+33612345678"))


def test_a_final_rule_applies_only_to_the_channels_that_have_its_status() -> None:
    carrier = SimulatorCarrier([{"prefix": "+4477", "status": "busy"}, {"prefix": "+3361", "status": "SPAM"}])
    assert carrier.submit(_outgoing("+447712345678", "VOICE")).status == "BUSY"
    assert carrier.submit(_outgoing("+447712345678")).accepted  # no TEXT_BUSY: texts are delivered
    assert carrier.submit(_outgoing("+33612345678", "MEDIA")).status == "SPAM"
    assert carrier.submit(_outgoing("+33612345678", "VOICE")).accepted


def test_a_transient_rule_refuses_every_channel() -> None:
    carrier = SimulatorCarrier([{"prefix": "+3361", "status": "BUSY", "transient": True}])
    for channel in ("TEXT", "MEDIA", "VOICE"):
        with pytest.raises(TransientCarrierError):
            carrier.submit(_outgoing("+33612345678", channel))


@pytest.mark.parametrize("rule, message", [
    ({"prefix": "+44", "status": "BUSYY"}, "status BUSYY is no carrier failure of any channel"),
    ({"prefix": "+44", "status": "DELIVERED"}, "status DELIVERED is no carrier failure"),
    ({"prefix": "+44", "status": "TTL_EXPIRED"}, "status TTL_EXPIRED is no carrier failure"),
    ({"status": "BUSY"}, "needs a prefix"),
    ({"prefix": "4477", "status": "BUSY"}, "needs a prefix"),
    ("+4477", "needs a prefix"),
])
def test_a_rule_that_cannot_be_right_is_refused(rule, message) -> None:
    with pytest.raises(ValueError, match=message):
        SimulatorCarrier([rule])
