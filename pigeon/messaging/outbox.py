"""The durable outbox: the ``messages`` table, the local event log (``events``) and monthly ``spend``.

A message row moves QUEUED -> CLAIMED -> SUBMITTED -> DELIVERED | FAILED | EXPIRED. ``due_at`` says when a
worker may take it next: a QUEUED message's next attempt, a CLAIMED message's lease end (a worker that dies
leaves its claims to be taken again when the lease runs out). Every status change is guarded by the status
(and claimant) it expects, and its events are written in the same transaction, so a message reaches exactly
one final event even when two workers race over an expired lease.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from pigeon.deliveries.events import for_events
from pigeon.messaging import carrier_parts
from pigeon.scope import Scope
from pigeon.store.bulk import DriverStatement, dumps, loads
from pigeon.store.engine import Store
from pigeon.store.read_cache import add_after_commit, cached
from pigeon.store.schema import events, messages, spend

QUEUED, CLAIMED, SUBMITTED = "QUEUED", "CLAIMED", "SUBMITTED"
DELIVERED, FAILED, EXPIRED = "DELIVERED", "FAILED", "EXPIRED"
FINAL_STATUSES = (DELIVERED, FAILED, EXPIRED)

_M = messages.c


@dataclass(frozen=True)
class Message:
    """One outbox row as the dispatcher and the inspection API read it."""

    message_id: str
    account_id: str
    region: str
    channel: str
    status: str
    origination_identity: str
    destination: str
    created_at: float
    expires_at: float
    attempts: int
    claimed_by: str | None
    payload: dict[str, Any]

    @property
    def scope(self) -> Scope:
        return Scope(self.account_id, self.region)


_COLUMNS = [_M[column.name] for column in fields(Message)]
"""A Message's columns, in the order of its fields (the rows ``_message`` reads)."""


def _message(row: Sequence[Any]) -> Message:
    (message_id, account_id, region, channel, status, origination_identity, destination, created_at, expires_at,
     attempts, claimed_by, payload) = row
    return Message(message_id, account_id, region, channel, status, origination_identity, destination, created_at,
                   expires_at, attempts, claimed_by, loads(payload))


def message_of(row: dict[str, Any]) -> Message:
    """The Message of an outbox row about to be inserted (``new_row``)."""
    return Message(row["message_id"], row["account_id"], row["region"], row["channel"], row["status"],
                   row["origination_identity"], row["destination"], row["created_at"], row["expires_at"],
                   row["attempts"], row["claimed_by"], row["payload"])


_MESSAGE_KEYS = ("message_id", "account_id", "region", "channel", "status", "origination_identity", "destination",
                 "created_at", "due_at", "expires_at", "attempts", "claimed_by", "updated_at", "payload")
_INSERT = DriverStatement(messages.insert(), _MESSAGE_KEYS)
_ROW_VALUES = itemgetter(*_MESSAGE_KEYS[:-1])


def new_row(scope: Scope, message: dict[str, Any]) -> dict[str, Any]:
    """The outbox row of a newly accepted (QUEUED) message."""
    return {"account_id": scope.account_id, "region": scope.region, "status": QUEUED, "attempts": 0,
            "claimed_by": None, "updated_at": message["created_at"], **message}


def enqueue_many(tx: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert new outbox rows (``new_row``) in one statement."""
    _INSERT.execute(tx, [(*_ROW_VALUES(row), dumps(row["payload"])) for row in rows])


def _due(limit: Any) -> sa.Select[tuple[str]]:
    """Messages a worker may take at ``now``: queued, or claimed with an expired lease."""
    statuses: list[sa.BindParameter[str]] = [sa.bindparam("queued", QUEUED), sa.bindparam("claimed", CLAIMED)]
    return sa.select(_M.message_id).where(_M.status.in_(statuses), _M.due_at <= sa.bindparam("now")).limit(limit)


_ANY_DUE = DriverStatement(_due(1), ["now"])
_CLAIM = DriverStatement(
    messages.update().where(_M.message_id.in_(
        _due(sa.bindparam("limit")).order_by(_M.due_at).with_for_update(skip_locked=True).scalar_subquery()))
    .values(status=CLAIMED, claimed_by=sa.bindparam("worker"), due_at=sa.bindparam("lease_end"),
            updated_at=sa.bindparam("now"))
    .returning(*_COLUMNS),
    ["now", "limit", "worker", "lease_end"])


def claim(store: Store, worker: str, now: float, lease_seconds: float, limit: int) -> list[Message]:
    """Take up to ``limit`` due messages (queued, or claimed with an expired lease) for ``worker``.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets several workers claim side by side (SQLite renders no locking
    clause). SQLite: the write transaction (BEGIN IMMEDIATE) makes each claim exclusive.
    """
    with store.transaction(write=False) as tx:  # idle workers poll with reads, never the write lock
        if not _ANY_DUE.fetch(tx, (now,)):
            return []
    with store.transaction(write=True) as tx:
        rows = _CLAIM.fetch(tx, (now, limit, worker, now + lease_seconds))
    claimed = [_message(row) for row in rows]
    return sorted(claimed, key=lambda message: message.created_at)


@dataclass
class Transition:
    """One guarded status change of a message, with the event records it emits."""

    message_id: str
    expected: str
    status: str
    claimed_by: str | None = None
    due_at: float | None = None
    attempted: bool = False
    payload_changes: dict[str, Any] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)
    charge: tuple[str, str, int] | None = None
    """(channel, month, micro-dollars) to book to the message's account when this change applies."""
    carrier_parts: list[tuple[str, str, int, int]] = field(default_factory=list)
    """(carrier, carrier's part id, part, parts) to record when this change applies (pigeon/messaging/carrier_parts.py)."""


_GUARDED_UPDATE = DriverStatement(messages.update().where(
    _M.message_id == sa.bindparam("b_message_id"), _M.status == sa.bindparam("b_expected"),
    sa.or_(_M.status != CLAIMED, _M.claimed_by == sa.bindparam("b_claimed_by")),
).values(status=sa.bindparam("status"), due_at=sa.bindparam("due_at"), updated_at=sa.bindparam("updated_at"),
         attempts=_M.attempts + sa.bindparam("attempted"), payload=sa.bindparam("payload", type_=messages.c.payload.type)),
    ["b_message_id", "b_expected", "b_claimed_by", "status", "due_at", "updated_at", "attempted", "payload"])
_INSERT_EVENT = DriverStatement(events.insert().values(published_at=sa.null()), [
    "account_id", "region", "message_id", "event_type", "is_final", "configuration_set", "created_at", "record"])
"""Events are written unpublished: NULL in the SQL, not a parameter (sqlite3 adapts None slowly)."""


def apply_all(tx: Connection, changes: Sequence[tuple[Message, Transition]], now: float) -> list[tuple[Message, Transition]]:
    """Apply each transition whose row is still as expected; write their events (one batch) and book their
    spend (one upsert per account, channel and month). Returns the transitions that applied."""
    applied = _update_all(tx, changes, now)
    rows = [_event_values(message, record, now) for message, transition in applied for record in transition.records]
    if rows:
        _INSERT_EVENT.execute(tx, rows)
        for_events(tx, ((message.scope, configuration_set, record) for message, transition in applied
                        if (configuration_set := message.payload.get("ConfigurationSetName"))
                        for record in transition.records), now)
    parts = [(message.message_id, part) for message, transition in applied for part in transition.carrier_parts]
    if parts:
        carrier_parts.record(tx, parts, now)
    charges: dict[tuple[str, str, str, str], int] = {}
    for message, transition in applied:
        if transition.charge is not None:
            channel, month, micros = transition.charge
            key = (message.account_id, message.region, channel, month)
            charges[key] = charges.get(key, 0) + micros
    for (account_id, region, channel, month), micros in charges.items():
        add_spend(tx, Scope(account_id, region), channel, month, micros)
    return applied


def _update_all(tx: Connection, changes: Sequence[tuple[Message, Transition]],
                now: float) -> list[tuple[Message, Transition]]:
    """The guarded updates of a batch in one statement; when a guard fails (another worker took a message
    whose lease ran out) the batch is undone and each update applied on its own, to know which held."""
    if not changes:
        return []
    values = [_update_values(message, transition, now) for message, transition in changes]
    savepoint = tx.begin_nested()
    if _GUARDED_UPDATE.execute(tx, values) == len(values):
        savepoint.commit()
        return list(changes)
    savepoint.rollback()
    return [change for change, value in zip(changes, values, strict=True)
            if _GUARDED_UPDATE.execute(tx, [value]) == 1]


def _update_values(message: Message, transition: Transition, now: float) -> tuple[Any, ...]:
    payload = {**message.payload, **transition.payload_changes} if transition.payload_changes else message.payload
    return (transition.message_id, transition.expected, transition.claimed_by, transition.status,
            transition.due_at if transition.due_at is not None else now, now, 1 if transition.attempted else 0,
            dumps(payload))


def _event_values(message: Message, record: dict[str, Any], now: float) -> tuple[Any, ...]:
    return (message.account_id, message.region, message.message_id, record["eventType"], record["isFinal"],
            message.payload.get("ConfigurationSetName"), now, dumps(record))


def get(tx: Connection, message_id: str) -> Message | None:
    row = tx.execute(sa.select(*_COLUMNS).where(_M.message_id == message_id)).first()
    return _message(row) if row is not None else None


def get_many(tx: Connection, message_ids: Sequence[str]) -> dict[str, Message]:
    if not message_ids:
        return {}
    rows = tx.execute(sa.select(*_COLUMNS).where(_M.message_id.in_(list(message_ids))))
    return {row.message_id: _message(row) for row in rows}


def stale_submitted(tx: Connection, before: float, limit: int) -> list[Message]:
    """Submitted messages with no final status since ``before`` (AWS ends them UNKNOWN after 72 h)."""
    rows = tx.execute(sa.select(*_COLUMNS).where(_M.status == SUBMITTED, _M.updated_at < before).limit(limit))
    return [_message(row) for row in rows]


def expired_submitted(tx: Connection, now: float, limit: int) -> list[Message]:
    """Submitted messages whose TimeToLive has ended with no final receipt."""
    rows = tx.execute(sa.select(*_COLUMNS).where(_M.status == SUBMITTED, _M.expires_at <= now).limit(limit))
    return [_message(row) for row in rows]


# --- spend ---------------------------------------------------------------------------------------------


_SPENT = sa.select(spend.c.amount_micros).where(
    spend.c.account_id == sa.bindparam("account_id"), spend.c.region == sa.bindparam("region"),
    spend.c.channel == sa.bindparam("channel"), spend.c.month == sa.bindparam("month"))


SPENT_CACHE_SECONDS = 1.0
"""How long a send may use the booked spend it read (this process's bookings drop it at once)."""


def spent(tx: Connection, scope: Scope, channel: str, month: str) -> int:
    """Micro-dollars booked to the account in ``month`` on ``channel`` (through the read cache for sends)."""
    values = {"account_id": scope.account_id, "region": scope.region, "channel": channel, "month": month}
    return cached(tx, "spend", tuple(values.values()),
                  lambda db: int(db.execute(_SPENT, values).scalar_one_or_none() or 0), SPENT_CACHE_SECONDS)


def _spend_upsert(dialect: Any) -> Any:
    insert = dialect.insert(spend)
    return insert.on_conflict_do_update(
        index_elements=["account_id", "region", "channel", "month"],
        set_={"amount_micros": spend.c.amount_micros + insert.excluded.amount_micros})


_ADD_SPEND = {"sqlite": _spend_upsert(sqlite), "postgresql": _spend_upsert(postgresql)}


def add_spend(tx: Connection, scope: Scope, channel: str, month: str, micros: int) -> None:
    tx.execute(_ADD_SPEND[tx.dialect.name], {"account_id": scope.account_id, "region": scope.region,
                                             "channel": channel, "month": month, "amount_micros": micros})
    add_after_commit(tx, "spend", (scope.account_id, scope.region, channel, month), micros)


# --- inspection ----------------------------------------------------------------------------------------


def list_messages(tx: Connection, criteria: dict[str, str], limit: int = 1000) -> list[Message]:
    """Messages oldest first, filtered by account, destination, origination, channel, region and message id
    (each optional)."""
    columns = {"account": _M.account_id, "destination": _M.destination, "origination": _M.origination_identity,
               "channel": _M.channel, "region": _M.region, "message_id": _M.message_id}
    conditions = [columns[key] == value for key, value in criteria.items() if key in columns and value]
    rows = tx.execute(sa.select(*_COLUMNS).where(*conditions).order_by(_M.created_at, _M.message_id).limit(limit))
    return [_message(row) for row in rows]


def list_events(tx: Connection, account_id: str | None, message_ids: Iterable[str] | None,
                limit: int = 5000) -> list[dict[str, Any]]:
    """Event records in the order they were written."""
    query = sa.select(events.c.record).order_by(events.c.seq).limit(limit)
    if account_id:
        query = query.where(events.c.account_id == account_id)
    if message_ids is not None:
        query = query.where(events.c.message_id.in_(list(message_ids)))
    return [dict(row.record) for row in tx.execute(query)]
