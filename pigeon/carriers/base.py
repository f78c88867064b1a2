"""The carrier seam: ``submit(outgoing) -> ack``, a stream of receipts, ``close()``.

A connector knows the wire to one carrier (or the simulator); the dispatcher holds the policy (which
message, when, how often). Statuses are AWS's event-status tokens without the channel prefix
(``SUCCESSFUL``, ``DELIVERED``, ``CARRIER_UNREACHABLE``, ...), so a receipt maps to an event record directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


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


@dataclass(frozen=True)
class Ack:
    """The carrier's answer to a submit: accepted (with its id) or refused with a final status."""

    accepted: bool
    carrier_message_id: str = ""
    status: str = "SUCCESSFUL"
    description: str = ""


@dataclass(frozen=True)
class Receipt:
    """A later status report about a submitted message (a delivery receipt)."""

    message_id: str
    status: str
    is_final: bool
    description: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class TransientCarrierError(Exception):
    """The carrier could not take the message now (throttled, link down); the dispatcher retries later."""


class Connector(Protocol):
    def submit(self, outgoing: Outgoing) -> Ack:
        """Hand one message to the carrier; raise TransientCarrierError to be retried."""

    def receipts(self) -> list[Receipt]:
        """The receipts that arrived since the last call (never blocks)."""

    def close(self) -> None: ...
