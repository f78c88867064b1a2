"""Handset messages that arrive from a carrier connection (SMPP deliver_sm that is no receipt).

A message of one part goes straight to ``receive``. The parts of a concatenated message are kept in
``inbound_fragments`` until the last one arrives (in any order); then the whole text goes to ``receive`` and
the parts are deleted. Each part is committed before the connector acknowledges it to the carrier, so a
crash loses no part: the carrier sends again what was not acknowledged. Parts whose message never completes
are dropped after a day.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from pigeon.carriers.base import InboundPart, InboundRefused
from pigeon.errors import ServiceError
from pigeon.inbound.receive import receive
from pigeon.store.schema import inbound_fragments

log = logging.getLogger("pigeon.inbound")
_F = inbound_fragments.c
FRAGMENT_MAX_AGE_SECONDS = 86400.0


class CarrierInbound:
    """``handler(part)`` for connectors (``CarrierContext.inbound``)."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime

    def __call__(self, part: InboundPart) -> None:
        text = part.text if part.reference is None or part.total <= 1 else self._reassembled(part)
        if text is None:
            return
        concatenated = part.reference is not None and part.total > 1
        try:
            result = receive(self.runtime, part.origination, part.destination, text)
        except ServiceError as refused:  # never acceptable; any other error: the carrier sends the part again
            log.warning("inbound refused carrier=%s to=%s: %s", part.carrier, part.destination, refused)
            if concatenated:
                self._forget(part)
            raise InboundRefused(str(refused)) from refused
        if concatenated:
            self._forget(part)
        log.info("inbound carrier=%s inbound_message_id=%s account=%s", part.carrier,
                 result.inbound_message_id, result.account_id)

    def _key(self, part: InboundPart) -> list[Any]:
        return [_F.carrier == part.carrier, _F.origination_number == part.origination,
                _F.destination_number == part.destination, _F.reference == part.reference]

    def _reassembled(self, part: InboundPart) -> str | None:
        """Store this part; the whole text once every part is in, else None."""
        now = self.runtime.clock.now()
        with self.runtime.store.transaction(write=True) as tx:
            tx.execute(inbound_fragments.delete().where(_F.received_at < now - FRAGMENT_MAX_AGE_SECONDS))
            stored = tx.execute(sa.select(_F.sequence).where(*self._key(part), _F.sequence == part.sequence)).first()
            if stored is None:  # a part sent again (our answer was lost) is stored once
                tx.execute(inbound_fragments.insert().values(
                    carrier=part.carrier, origination_number=part.origination, destination_number=part.destination,
                    reference=part.reference, sequence=part.sequence, total=part.total, text=part.text,
                    received_at=now))
            rows = tx.execute(sa.select(_F.sequence, _F.text).where(*self._key(part)).order_by(_F.sequence)).all()
        if len(rows) < part.total:
            return None
        return "".join(row.text for row in rows)

    def _forget(self, part: InboundPart) -> None:
        with self.runtime.store.transaction(write=True) as tx:
            tx.execute(inbound_fragments.delete().where(*self._key(part)))
