"""What every operation receives: the scope, the open transaction, the clock and the settings."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
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
    _stack: ExitStack = field(default_factory=ExitStack)
    _tx: LazyTransaction | None = None

    @property
    def tx(self) -> Connection:
        """The request's one transaction, begun on first use (a request served from caches opens none)."""
        if self._tx is None:
            self._tx = LazyTransaction(
                lambda: self._stack.enter_context(self.runtime.store.transaction(write=self.writes)), self.writes
            )
        return self._tx  # type: ignore[return-value]

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    @property
    def settings(self) -> Settings:
        return self.runtime.settings


class LazyTransaction:
    """Stands in for the request's Connection and begins the transaction when first used."""

    def __init__(self, begin: Callable[[], Connection], writes: bool) -> None:
        self._begin = begin
        self._writes = writes
        self._connection: Connection | None = None

    def get_execution_options(self) -> dict[str, Any]:
        if self._connection is None:
            return {"pigeon_write": True} if self._writes else {}
        return dict(self._connection.get_execution_options())

    def __getattr__(self, name: str) -> Any:
        if self._connection is None:
            self._connection = self._begin()
        return getattr(self._connection, name)
