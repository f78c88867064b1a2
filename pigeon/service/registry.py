"""The one operation table: operation name -> business function. Routing and coverage read it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pigeon.protocol.model import operation_names
from pigeon.service.context import Context, Params, Result

Handler = Callable[[Context, Params], Result]

_READ_PREFIXES = ("Describe", "List", "Get", "CarrierLookup")


@dataclass(frozen=True)
class Operation:
    name: str
    handler: Handler
    writes: bool
    """Whether the operation changes state (SQLite then takes the write lock at BEGIN)."""
    sends: bool = False
    """A sending operation: cached admission reads, group-committed messages (see Context.sends)."""


OPERATIONS: dict[str, Operation] = {}


def operation(name: str, writes: bool | None = None, sends: bool = False) -> Callable[[Handler], Handler]:
    """Register ``handler`` for the model's operation ``name``; reads are told apart by the name."""
    if name not in set(operation_names()):
        raise ValueError(f"{name} is not an operation of the service model")

    def register(handler: Handler) -> Handler:
        if name in OPERATIONS:
            raise ValueError(f"{name} is registered twice")
        is_write = not name.startswith(_READ_PREFIXES) if writes is None else writes
        OPERATIONS[name] = Operation(name, handler, is_write, sends)
        return handler

    return register
