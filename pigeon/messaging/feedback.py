"""Message feedback records and the one-hour timeout (PutMessageFeedback lives in pigeon/service/message_feedback.py).

A message sent with feedback enabled leaves a ``message-feedback-due`` marker (named by its MessageId) in the
request's transaction. PutMessageFeedback removes it and stores the status as a ``message-feedback`` resource;
the dispatcher's periodic sweep (``expire``) turns every marker older than an hour into FAILED, as the API
reference says ("Otherwise, an hour after the message feedback record is set to FAILED"). Each change writes a
non-final ``{CHANNEL}_FEEDBACK_{STATUS}`` record to the event log and the configuration set's destinations (the
model names no feedback event type; the delivery's final record stays the message's only final one).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pigeon.common import arns
from pigeon.deliveries.events import for_events
from pigeon.messaging import outbox, records
from pigeon.messaging.outbox import Message
from pigeon.scope import Scope
from pigeon.store import resources
from pigeon.store.engine import Store
from pigeon.store.resources import Record
from pigeon.store.schema import events
from pigeon.store.schema import resources as resources_table

FEEDBACK = "message-feedback"
DUE = "message-feedback-due"
TIMEOUT_SECONDS = 3600
TIMEOUT_DESCRIPTION = "No message feedback was received within an hour"


def expect(tx: Connection, scope: Scope, message_id: str, now: float) -> None:
    """Mark a just-accepted message as waiting for feedback."""
    resources.insert(tx, scope, Record(DUE, message_id, message_id, arns.build(scope, "message", message_id), now, {}))


def store_status(tx: Connection, message: Message, status: str, now: float, description: str) -> None:
    """Record ``status`` for ``message`` (replacing an earlier one), clear its marker, and log the record."""
    scope = message.scope
    data = {"MessageId": message.message_id, "MessageFeedbackStatus": status, "UpdatedTimestamp": now}
    current = resources.get(tx, scope, FEEDBACK, message.message_id, for_update=True)
    if current is None:
        arn = arns.build(scope, "message", message.message_id)
        resources.insert(tx, scope, Record(FEEDBACK, message.message_id, message.message_id, arn, now, data))
    else:
        resources.update(tx, current.with_data(**data))
    due = resources.get(tx, scope, DUE, message.message_id)
    if due is not None:
        resources.delete(tx, due)
    _log(tx, message, status, now, description)


def _log(tx: Connection, message: Message, status: str, now: float, description: str) -> None:
    record = records.record(message, f"FEEDBACK_{status}", False, now, description)
    record["messageFeedbackStatus"] = status
    configuration_set = message.payload.get("ConfigurationSetName")
    tx.execute(events.insert(), {
        "account_id": message.account_id, "region": message.region, "message_id": message.message_id,
        "event_type": record["eventType"], "is_final": False, "configuration_set": configuration_set,
        "created_at": now, "published_at": None, "record": record})
    for_events(tx, [(message.scope, configuration_set, record)], now)


def expire(store: Store, now: float, limit: int = 500) -> int:
    """Set FAILED on the messages whose hour for feedback has passed; returns how many."""
    table = resources_table.c
    query = (sa.select(table.account_id, table.region, table.resource_id)
             .where(table.resource_type == DUE, table.created_at <= now - TIMEOUT_SECONDS).limit(limit))
    if not store.is_sqlite:
        query = query.with_for_update(skip_locked=True)  # several workers sweep side by side
    with store.transaction(write=True) as tx:
        due = list(tx.execute(query))
        found = outbox.get_many(tx, [row.resource_id for row in due])
        for row in due:
            message = found.get(row.resource_id)
            if message is None:
                marker = resources.get(tx, Scope(row.account_id, row.region), DUE, row.resource_id)
                if marker is not None:
                    resources.delete(tx, marker)
                continue
            store_status(tx, message, "FAILED", now, TIMEOUT_DESCRIPTION)
    return len(due)
