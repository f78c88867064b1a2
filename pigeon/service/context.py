"""What every operation receives: the scope, the open transaction, the clock and the settings."""

from __future__ import annotations

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
    tx: Connection
    runtime: "Runtime"
    operation: str
    request_id: str
    now: float
    """The request's time, read once from the clock so one request sees one instant."""

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    @property
    def settings(self) -> Settings:
        return self.runtime.settings
