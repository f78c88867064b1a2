"""What every operation receives: the scope, the open transaction, the clock and the settings."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from pigeon.clock import Clock
from pigeon.scope import Scope
from pigeon.settings import Settings

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
    _tx: LazyTransaction | None = None
    _transaction: AbstractContextManager[Connection] | None = None

    @property
    def tx(self) -> Connection:
        """The request's one transaction, begun on first use (a request served from caches opens none)."""
        if self._tx is None:
            self._tx = LazyTransaction(self._begin, self.writes)
        return self._tx  # type: ignore[return-value]

    def _begin(self) -> Connection:
        self._transaction = self.runtime.store.transaction(write=self.writes)
        return self._transaction.__enter__()

    def finish(self, error: BaseException | None = None) -> None:
        """Commit the transaction if one was begun (roll it back when ``error`` is given)."""
        if self._transaction is not None:
            transaction, self._transaction = self._transaction, None
            if error is None:
                transaction.__exit__(None, None, None)
            else:
                transaction.__exit__(type(error), error, error.__traceback__)

    def in_scope(self, scope: Scope) -> Context:
        """This request and its transaction, reading another scope's resources (one shared with the caller)."""
        if scope == self.scope:
            return self
        view = Context(scope, self.runtime, self.operation, self.request_id, self.now, self.writes)
        view._tx = self.tx  # type: ignore[assignment]  # the same transaction; only this context finishes it
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

    def __init__(self, begin: Callable[[], Connection], writes: bool) -> None:
        self._begin = begin
        self._writes = writes
        self._connection: Connection | None = None

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
