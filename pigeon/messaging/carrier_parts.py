"""The carrier's id of each submitted part (``carrier_parts``), and what its receipts mean for the message.

A message of several parts is several submits at the carrier, each with its own id and its own receipt. The
message is DELIVERED when every part's final receipt says delivered, and ends at the first part that failed
(its status and description), since a handset shows a concatenated message whole or not at all. Receipts that
are not final (SMPP's ENROUTE, ACCEPTD) emit nothing: AWS has no event for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from pigeon.carriers.base import Receipt
from pigeon.store.schema import carrier_parts

_P = carrier_parts.c
DELIVERED_STATUSES = ("DELIVERED", "COMPLETED")


def _upsert(dialect: Any) -> Any:
    insert = dialect.insert(carrier_parts)
    return insert.on_conflict_do_update(
        index_elements=["carrier", "carrier_message_id"],
        set_={"message_id": insert.excluded.message_id, "part": insert.excluded.part, "parts": insert.excluded.parts,
              "status": None, "detail": None, "created_at": insert.excluded.created_at})


_RECORD = {"sqlite": _upsert(sqlite), "postgresql": _upsert(postgresql)}
_MARK = carrier_parts.update().where(_P.carrier == sa.bindparam("b_carrier"),
                                     _P.carrier_message_id == sa.bindparam("b_id")).values(
    status=sa.bindparam("status"), detail=sa.bindparam("detail"))
KEEP_SECONDS = 4 * 86400.0
"""Rows outlive the longest TimeToLive (72 hours) by a day: a receipt later than that finds no message."""


def record(tx: Connection, parts: Sequence[tuple[str, tuple[str, str, int, int]]], now: float) -> None:
    """Insert ``(message_id, (carrier, part_id, part, parts))`` rows; a part id seen again (a message resent
    after a crash got a new id, or the carrier reuses ids) points at its newest message."""
    rows = [{"carrier": carrier, "carrier_message_id": part_id, "message_id": message_id, "part": part,
             "parts": total, "status": None, "detail": None, "created_at": now}
            for message_id, (carrier, part_id, part, total) in parts]
    tx.execute(_RECORD[tx.dialect.name], rows)


def prune(tx: Connection, now: float) -> None:
    tx.execute(carrier_parts.delete().where(_P.created_at < now - KEEP_SECONDS))


def resolve(tx: Connection, receipts: Sequence[Receipt], now: float) -> tuple[list[Receipt], list[Receipt]]:
    """The message-level receipts that ``receipts`` (each naming a carrier's part) make final, and the
    receipts whose part is unknown (yet)."""
    if not receipts:
        return [], []
    by_carrier: dict[str, set[str]] = {}
    for receipt in receipts:
        by_carrier.setdefault(receipt.carrier, set()).add(receipt.carrier_message_id)
    found = {}
    for carrier, part_ids in by_carrier.items():  # carrier = ... AND id IN (...): the primary key's order
        found.update({(row.carrier, row.carrier_message_id): row for row in tx.execute(
            sa.select(_P.carrier, _P.carrier_message_id, _P.message_id, _P.parts)
            .where(_P.carrier == carrier, _P.carrier_message_id.in_(list(part_ids))))})
    unknown = [receipt for receipt in receipts if (receipt.carrier, receipt.carrier_message_id) not in found]
    final = [receipt for receipt in receipts if receipt.is_final
             and (receipt.carrier, receipt.carrier_message_id) in found]
    marks = [{"b_carrier": r.carrier, "b_id": r.carrier_message_id, "status": r.status,
              "detail": (r.extra.get("carrierStatus") or r.description)[:256] or None}
             for r in final if found[(r.carrier, r.carrier_message_id)].parts > 1]
    if marks:  # only the parts of concatenated messages need their state: one part is the message's
        tx.execute(_MARK, marks)
    results: list[Receipt] = []
    single = [r for r in final if found[(r.carrier, r.carrier_message_id)].parts == 1]
    results += [replace(r, message_id=found[(r.carrier, r.carrier_message_id)].message_id) for r in single]
    several = {found[(r.carrier, r.carrier_message_id)].message_id: r for r in final
               if found[(r.carrier, r.carrier_message_id)].parts > 1}
    if several:
        statuses: dict[str, list[tuple[str | None, str | None]]] = {}
        for row in tx.execute(sa.select(_P.message_id, _P.status, _P.detail).where(_P.message_id.in_(list(several)))
                              .order_by(_P.message_id, _P.part)):
            statuses.setdefault(row.message_id, []).append((row.status, row.detail))
        for message_id, receipt in several.items():
            outcome = _outcome(statuses.get(message_id, []))
            if outcome is not None:
                results.append(replace(receipt, message_id=message_id, status=outcome[0], description="",
                                       extra={"carrierStatus": outcome[1]} if outcome[1] else {}))
    return results, unknown


def _outcome(parts: list[tuple[str | None, str | None]]) -> tuple[str, str | None] | None:
    """The message's final (status, description) from its parts', or None while a part is still open."""
    failed = next(((status, detail) for status, detail in parts
                   if status is not None and status not in DELIVERED_STATUSES), None)
    if failed is not None:
        return failed[0] or "UNKNOWN", failed[1]
    if parts and all(status is not None for status, _ in parts):
        return parts[-1][0] or "DELIVERED", parts[-1][1]
    return None
