"""records.then: a receipt's record made from the record before it equals the one records.record builds."""

from __future__ import annotations

from typing import Any

import pytest

from pigeon.messaging import records
from pigeon.messaging.outbox import Message

NOW = 1_790_000_000.25
PAYLOAD: dict[str, Any] = {
    "MessageBody": "hi", "Encoding": "GSM", "Parts": 2, "MessageType": "TRANSACTIONAL", "IsoCountryCode": "US",
    "IsInternationalSend": False, "Network": {"mcc": "310", "mnc": "410"}, "PriceMicros": 11620,
    "CarrierFeeMicros": 2490, "Context": {"k": "v"},
    "Protect": {"protectConfigurationId": "protect-1", "protectStatus": "ALLOW"},
}


def _message(channel: str) -> Message:
    return Message("m-1", "111122223333", "us-east-1", channel, "CLAIMED", "+12065550100", "+14254147755",
                   NOW - 5, NOW + 3600, 0, "worker", dict(PAYLOAD))


@pytest.mark.parametrize(("channel", "first", "receipts"), [
    ("TEXT", "SUCCESSFUL", [("DELIVERED", True, "")]),
    ("TEXT", "SUCCESSFUL", [("SPAM", True, "flagged by the carrier")]),
    ("VOICE", "INITIATED", [("RINGING", False, ""), ("ANSWERED", False, ""), ("COMPLETED", True, "")]),
])
def test_then_builds_what_record_builds(channel: str, first: str, receipts: list[tuple[str, bool, str]]) -> None:
    message = _message(channel)
    previous = records.record(message, first, False, NOW)
    for status, is_final, description in receipts:
        made = records.then(previous, message, status, is_final, description)
        expected = records.record(message, status, is_final, NOW, description)
        assert list(made.items()) == list(expected.items())  # same fields, values and order
        assert made["context"] is not previous["context"]
        assert made["protectConfiguration"] is not previous["protectConfiguration"]
        previous = made
