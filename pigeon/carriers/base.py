"""The carrier seam: ``submit_many(outgoings) -> acks``, a stream of receipts, ``close()``.

A connector knows the wire to one carrier (or the simulator); the dispatcher holds the policy (which
message, when, how often). Statuses are AWS's event-status tokens without the channel prefix
(``SUCCESSFUL``, ``DELIVERED``, ``CARRIER_UNREACHABLE``, ...), so a receipt maps to an event record directly.

A connector that learns its carrier's id for each part (SMPP's submit_sm_resp) returns them in
``Ack.part_ids``; its receipts then name the part (``Receipt.carrier_message_id``) instead of the message,
and the dispatcher finds the message through the ``carrier_parts`` table, so receipts arriving after a
restart still find their message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Outgoing:
    """One message handed to a carrier."""

    message_id: str
    channel: str
    origination: str
    destination: str
    iso_country: str
    body: str
    encoding: str
    parts: int
    media_urls: tuple[str, ...] = ()
    number_type: str = ""
    """The origination identity's NumberType (SIMULATOR, LONG_CODE, TOLL_FREE, TEN_DLC, SHORT_CODE, SENDER_ID)."""
    message_type: str = "TRANSACTIONAL"
    expires_at: float = 0.0
    """When the message's TimeToLive ends (epoch seconds): an SMSC's validity period."""
    connection: str = ""
    """The carrier connection of the origination number's inventory block (``number_inventory``), if any."""
    payload: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The outbox payload (read-only): voice settings, the synthesized audio file, ..."""


@dataclass(frozen=True)
class Ack:
    """The carrier's answer to a submit: accepted (with its id) or refused with a final status."""

    accepted: bool
    carrier_message_id: str = ""
    status: str = "SUCCESSFUL"
    description: str = ""
    carrier: str = ""
    """The connection that took the message (a configured carrier's name; empty for the simulator)."""
    part_ids: tuple[str, ...] = ()
    """The carrier's id of each part, in part order, when its receipts name parts rather than messages."""
    charged: bool = True
    """False for a refusal that cost nothing (a call never placed): the message is not charged."""


@dataclass(frozen=True)
class Receipt:
    """A later status report about a submitted message (a delivery receipt, a call's progress).

    Either ``message_id`` is known, or ``carrier`` and ``carrier_message_id`` name one part of a message
    (``Ack.part_ids``); ``token`` is the connector's own handle, passed back to ``settle`` once the receipt
    is durably recorded (SMPP answers deliver_sm_resp only then). ``extra["payload"]``, when given, changes the
    message's payload (a call's SIP status and duration, for the inspection API and the event records); a
    restated ``PriceMicros``/``CarrierFeeMicros`` books the difference (a call is billed for the minutes it
    lasted)."""

    message_id: str
    status: str
    is_final: bool
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    carrier: str = ""
    carrier_message_id: str = ""
    token: Any = field(default=None, compare=False, repr=False)


class TransientCarrierError(Exception):
    """The carrier could not take the message now (throttled, link down); the dispatcher retries later.

    ``retry_after`` (seconds), when given, replaces the dispatcher's exponential backoff: a link that is down
    is retried soon and steadily, so messages go out as soon as it is back."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


SubmitResult = Ack | TransientCarrierError
InboundHandler = Callable[["InboundPart"], None]
"""Called by a connector's receiving thread for each handset message (part); returns once it is committed,
raises ``InboundRefused`` to refuse it for good, any other exception to have the carrier retry it."""


@dataclass(frozen=True)
class InboundPart:
    """One message (or one part of a concatenated message) from a handset to one of our numbers."""

    origination: str
    destination: str
    text: str
    carrier: str = ""
    reference: int | None = None
    """The concatenation reference (UDH IE 0x00/0x08 or sar_msg_ref_num); None for a message of one part."""
    total: int = 1
    sequence: int = 1


class InboundRefused(Exception):
    """A handset message Pigeon will never accept (no account holds the number, invalid input)."""


class Connector(Protocol):
    name: str

    def submit_many(self, outgoings: Sequence[Outgoing]) -> list[SubmitResult]:
        """Hand messages to the carrier, one result each in order; may block until the carrier answered."""

    def receipts(self) -> list[Receipt]:
        """The receipts that arrived since the last call (never blocks)."""

    def settle(self, receipts: Sequence[Receipt]) -> None:
        """The receipts returned by ``receipts`` are now recorded (or known to be of no message)."""

    def status(self) -> list[dict[str, Any]]:
        """One entry per connection for the inspection API: Name, Type, State, counters."""

    def close(self) -> None: ...


class SingleSubmitConnector:
    """Base for connectors that answer one message at a time: ``submit_many`` loops over ``submit``."""

    name = "simulator"
    kind = "simulator"

    def submit(self, outgoing: Outgoing) -> Ack:
        raise NotImplementedError

    def submit_many(self, outgoings: Sequence[Outgoing]) -> list[SubmitResult]:
        results: list[SubmitResult] = []
        for outgoing in outgoings:
            try:
                results.append(self.submit(outgoing))
            except TransientCarrierError as error:
                results.append(error)
        return results

    def settle(self, receipts: Sequence[Receipt]) -> None:
        return None

    def status(self) -> list[dict[str, Any]]:
        return [{"Name": self.name, "Type": self.kind, "State": "READY"}]


def submit_all(connector: Any, outgoings: Sequence[Outgoing]) -> list[SubmitResult]:
    """``connector.submit_many``, or one ``submit`` a message for a connector that has only that."""
    if hasattr(connector, "submit_many"):
        return list(connector.submit_many(outgoings))
    return SingleSubmitConnector.submit_many(connector, outgoings)
