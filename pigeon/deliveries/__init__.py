"""Deliveries: the durable queue of Pigeon's outbound side effects.

An event record for an event destination, an inbound message for an SNS topic or a webhook: each is a row
written in the same transaction as the fact it reports, so a crash loses none. A background worker
(``pigeon.deliveries.worker``) sends them with retries and backoff, never on a request's path.

Row life: PENDING -> (claimed: due_at is the lease end) -> DONE, or back to PENDING with the next attempt's
time, or FAILED once it has been tried ``MAX_ATTEMPTS`` times or for ``MAX_AGE_SECONDS``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pigeon.common import ids
from pigeon.scope import Scope
from pigeon.store.engine import Store
from pigeon.store.schema import deliveries

PENDING, DONE, FAILED = "PENDING", "DONE", "FAILED"
KINDS = ("event-destination", "sns", "webhook")
MAX_ATTEMPTS = 30
MAX_AGE_SECONDS = 24 * 3600
RETRY_BASE_SECONDS = 1.0
RETRY_MAX_SECONDS = 600.0

_D = deliveries.c
_INSERT = deliveries.insert()


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    account_id: str
    region: str
    kind: str
    status: str
    target: dict[str, Any]
    payload: dict[str, Any]
    attempts: int
    created_at: float
    last_error: str | None
    seq: int


def _delivery(row: sa.Row) -> Delivery:
    return Delivery(row.delivery_id, row.account_id, row.region, row.kind, row.status, dict(row.target),
                    dict(row.payload), row.attempts, row.created_at, row.last_error, row.seq)


def enqueue(tx: Connection, scope: Scope, kind: str, target: Mapping[str, Any], payload: Mapping[str, Any],
            now: float) -> str:
    """Queue one delivery in the caller's transaction; it is sent after the transaction commits."""
    if kind not in KINDS:
        raise ValueError(f"unknown delivery kind {kind}")
    delivery_id = ids.new_time_ordered_uuid()
    tx.execute(_INSERT, {
        "delivery_id": delivery_id, "account_id": scope.account_id, "region": scope.region, "kind": kind,
        "status": PENDING, "target": dict(target), "payload": dict(payload), "attempts": 0, "due_at": now,
        "claimed_by": None, "last_error": None, "created_at": now, "updated_at": now,
    })
    return delivery_id


def claim(store: Store, worker: str, now: float, lease_seconds: float, limit: int,
          kinds: Collection[str] = KINDS) -> list[Delivery]:
    """Take up to ``limit`` due deliveries of ``kinds`` for ``worker`` (PostgreSQL: side by side with SKIP
    LOCKED)."""
    due = (sa.select(_D.seq).where(_D.status == PENDING, _D.due_at <= now, _D.kind.in_(list(kinds)))
           .order_by(_D.due_at, _D.seq).limit(limit))
    if not store.is_sqlite:
        due = due.with_for_update(skip_locked=True)
    statement = (deliveries.update().where(_D.seq.in_(due.scalar_subquery()))
                 .values(claimed_by=worker, due_at=now + lease_seconds, updated_at=now).returning(*deliveries.c))
    with store.transaction(write=True) as tx:
        claimed = [_delivery(row) for row in tx.execute(statement)]
    return sorted(claimed, key=lambda delivery: delivery.seq)  # in the order they were queued


def extend(store: Store, batch: Sequence[Delivery], worker: str, now: float, lease_seconds: float) -> set[str]:
    """Renew ``worker``'s claims on ``batch`` before a late attempt; the ids still claimed by it (the others
    were taken by another worker once their lease ran out)."""
    with store.transaction(write=True) as tx:
        renewed = tx.execute(deliveries.update()
                             .where(_D.delivery_id.in_([d.delivery_id for d in batch]), _D.claimed_by == worker,
                                    _D.status == PENDING)
                             .values(due_at=now + lease_seconds, updated_at=now)
                             .returning(_D.delivery_id))
        return {row.delivery_id for row in renewed}


def backoff(attempts: int) -> float:
    """Seconds before attempt ``attempts + 1``: doubling from one second, at most ten minutes."""
    return min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS)


def finish(tx: Connection, delivery: Delivery, worker: str, now: float, error: str | None) -> str:
    """Record one attempt's outcome (guarded by the claim); return the new status."""
    attempts = delivery.attempts + 1
    if error is None:
        status, due_at = DONE, now
    elif attempts >= MAX_ATTEMPTS or now - delivery.created_at >= MAX_AGE_SECONDS:
        status, due_at = FAILED, now
    else:
        status, due_at = PENDING, now + backoff(attempts)
    tx.execute(deliveries.update()
               .where(_D.delivery_id == delivery.delivery_id, _D.claimed_by == worker, _D.status == PENDING)
               .values(status=status, attempts=attempts, due_at=due_at, claimed_by=None,
                       last_error=error[:2000] if error else None, updated_at=now))
    return status


def listing(tx: Connection, account_id: str | None = None, status: str | None = None,
            kind: str | None = None, limit: int = 1000) -> list[Delivery]:
    """Deliveries oldest first, for the inspection API."""
    query = sa.select(deliveries).order_by(_D.seq).limit(limit)
    for column, value in ((_D.account_id, account_id), (_D.status, status), (_D.kind, kind)):
        if value:
            query = query.where(column == value)
    return [_delivery(row) for row in tx.execute(query)]
