"""The calls carriers placed (``call_attempts``), written before each INVITE: no call lost or doubled.

The dispatcher records a message SUBMITTED only after ``submit_many`` returns, so a crash between a call's
INVITE and that write leaves the message CLAIMED, and it is claimed again when its lease runs out. A SIP
connector first writes an attempt row for each call (``begin``, one transaction a batch); a message that finds
its row already there was perhaps called, and is not called again (it ends VOICE_FAILED, uncharged). A call
whose process died while it rang or played leaves its message SUBMITTED with no receipt to come: ``overdue``
finds it once the call's ``deadline`` (ring timeout + message + tail + margin) has passed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from pigeon.messaging import outbox
from pigeon.store.engine import Store
from pigeon.store.schema import call_attempts, messages

_A = call_attempts.c
KEEP_SECONDS = 4 * 86400
"""Attempts are kept past the longest TimeToLive (72 h): a message is never claimed again after it."""
_INSERT = {"sqlite": sqlite.insert(call_attempts).on_conflict_do_nothing().returning(_A.message_id),
           "postgresql": postgresql.insert(call_attempts).on_conflict_do_nothing().returning(_A.message_id)}


class CallAttempts:
    """The hook a connector gets in ``CarrierContext.call_attempts``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def begin(self, carrier: str, attempts: Sequence[tuple[str, float]], now: float) -> set[str]:
        """Record ``(message_id, deadline)`` attempts in one transaction; returns the ids that already had one
        (those must not be called again)."""
        if not attempts:
            return set()
        rows = [{"message_id": message_id, "carrier": carrier, "attempted_at": now, "deadline": deadline}
                for message_id, deadline in attempts]
        with self.store.transaction(write=True) as tx:
            inserted = {row.message_id for row in tx.execute(_INSERT[tx.dialect.name], rows)}
        return {message_id for message_id, _ in attempts} - inserted

    def forget(self, message_ids: Sequence[str]) -> None:
        """Drop the attempts of calls known never to have been placed (no INVITE went out)."""
        with self.store.transaction(write=True) as tx:
            tx.execute(call_attempts.delete().where(_A.message_id.in_(list(message_ids))))

    def overdue(self, carrier: str, now: float, exclude: Collection[str], limit: int = 200) -> list[str]:
        """Messages of ``carrier``'s calls still SUBMITTED after their deadline (their process is gone)."""
        query = (sa.select(_A.message_id).join(messages, messages.c.message_id == _A.message_id)
                 .where(_A.carrier == carrier, _A.deadline < now, messages.c.status == outbox.SUBMITTED)
                 .limit(limit))
        with self.store.transaction(write=False) as tx:
            return [row.message_id for row in tx.execute(query) if row.message_id not in exclude]

    def prune(self, now: float) -> None:
        with self.store.transaction(write=True) as tx:
            tx.execute(call_attempts.delete().where(_A.deadline < now - KEEP_SECONDS))
