"""What every operation receives: the scope, the open transaction, the clock and the settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import Connection

from pigeon.clock import Clock
from pigeon.scope import Scope
from pigeon.settings import Settings
from pigeon.store.changes import CHANGED
from pigeon.store.read_cache import GENERATION, ReadCache

T = TypeVar("T")

if TYPE_CHECKING:
    from pigeon.runtime import Runtime

Params = dict[str, Any]
"""Validated input of an operation, keyed by the model's member names."""

Result = dict[str, Any]
"""Output of an operation, keyed by the model's member names (extra keys are not serialized)."""


@dataclass
class Context:
    scope: Scope
    runtime: Runtime
    operation: str
    request_id: str
    now: float
    """The request's time, read once from the clock so one request sees one instant."""
    writes: bool = True
    sends: bool = False
    """A sending operation: its admission reads may come from the read cache, and the messages it queues
    are committed in a group (pigeon/messaging/group_commit.py) unless the request writes anything else."""
    _tx: LazyTransaction | None = None
    _transaction: AbstractContextManager[Connection] | None = None
    _queued: list[dict[str, Any]] = field(default_factory=list)

    @property
    def tx(self) -> Connection:
        """The request's one transaction, begun on first use (a request served from caches opens none)."""
        if self._tx is None:
            self._tx = LazyTransaction(self._begin, self.writes, self.runtime.store, self.sends)
        return self._tx  # type: ignore[return-value]

    def _begin(self) -> Connection:
        # A request's writes wait for its scope's other writers; an inbound message begins before it knows
        # its scope (it locks the rows it changes instead).
        scope = self.scope if self.scope.account_id else None
        self._transaction = self.runtime.store.transaction(write=self.writes, scope=scope)
        return self._transaction.__enter__()

    def queue_message(self, row: dict[str, Any]) -> None:
        """Queue an accepted message (an outbox row); it is committed by ``finish``, before the answer."""
        self._queued.append(row)

    def finish(self, error: BaseException | None = None) -> Awaitable[None] | None:
        """End the request: roll back on ``error``; otherwise commit, with the queued messages.

        Queued messages go into the request's write transaction when one was begun; otherwise (the usual
        send, all of whose reads were cached) to the process's group commit, whose completion is returned:
        the answer waits for it.
        """
        transaction = self._transaction
        if transaction is None and not self._queued:
            return None  # served from caches: nothing to end
        from pigeon.messaging import group_commit  # the messaging layer sits above this module

        queued, self._queued = self._queued, []
        self._transaction = None
        if error is not None:
            if transaction is not None:
                transaction.__exit__(type(error), error, error.__traceback__)
            return None
        if transaction is not None:
            if queued:
                group_commit.insert(self.tx, queued)
            transaction.__exit__(None, None, None)
            return None
        return group_commit.commit(self.runtime, queued) if queued else None

    def in_scope(self, scope: Scope) -> Context:
        """This request and its transaction, reading another scope's resources (one shared with the caller)."""
        if scope == self.scope:
            return self
        view = Context(scope, self.runtime, self.operation, self.request_id, self.now, self.writes, self.sends)
        view._tx = self.tx  # type: ignore[assignment]  # the same transaction; only this context finishes it
        view._queued = self._queued
        return view

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    @property
    def settings(self) -> Settings:
        return self.runtime.settings


_WRITE_OPTIONS: dict[str, Any] = {"pigeon_write": True}
_READ_OPTIONS: dict[str, Any] = {}


class LazyTransaction:
    """Stands in for the request's Connection and begins the transaction when first used."""

    def __init__(self, begin: Callable[[], Connection], writes: bool, store: Any, sends: bool = False) -> None:
        self._begin = begin
        self._writes = writes
        self._store = store
        self._sends = sends
        self._connection: Connection | None = None

    def cache_for(self, kind: str) -> ReadCache | None:
        """Account reads of every request may use the read cache; resource reads only a send's (other
        operations read what they are about to change); never a transaction that changed configuration."""
        if kind != "accounts" and not self._sends:
            return None
        if self._connection is not None and self._connection.info.get(CHANGED):
            return None
        return self._store.cache  # type: ignore[no-any-return]

    def load_for_cache(self, load: Callable[[Connection], T]) -> tuple[int, T]:
        """A cache miss: read in the request's transaction if it has begun, else in a short one of its own."""
        if self._connection is not None:
            return self._connection.info[GENERATION], load(self._connection)
        with self._store.transaction(write=False) as connection:
            return connection.info[GENERATION], load(connection)

    def get_execution_options(self) -> Any:
        if self._connection is None:
            return _WRITE_OPTIONS if self._writes else _READ_OPTIONS
        return self._connection.get_execution_options()

    @property
    def info(self) -> dict[str, Any]:
        """The connection's info; before the transaction begins it has changed nothing, so: empty."""
        return self._connection.info if self._connection is not None else {}

    def __getattr__(self, name: str) -> Any:
        if self._connection is None:
            self._connection = self._begin()
        return getattr(self._connection, name)
