"""Hot statements through the driver: a Core statement rendered once per dialect, run with plain values.

The outbox's hot statements (new messages, claims, guarded status changes, event records) run for thousands of
rows a second; SQLAlchemy's per-execution work (cache key, parameter processing of every row, result
processing of every returned row) cost about a third of the dispatcher's time. A ``DriverStatement`` renders
its Core statement once per dialect and hands the driver value tuples as they are: callers encode JSON
parameters with ``dumps`` and decode JSON results with ``loads``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable

Values = tuple[Any, ...]
"""One execution's parameters, in the statement's ``keys`` order."""


class DriverStatement:
    def __init__(self, statement: Executable, keys: Sequence[str]) -> None:
        """``keys``: the parameters each execution supplies, in the order of its values (for an INSERT, the
        columns it sets); the statement's other parameters keep the values it was built with."""
        self._statement = statement
        self._keys = tuple(keys)
        self._rendered: dict[str, tuple[str, Callable[[Values], Any]]] = {}

    def _render(self, connection: Connection) -> tuple[str, Callable[[Values], Any]]:
        """(SQL, what turns values into the driver's parameters: a tuple or a dict, as its paramstyle wants)."""
        name = connection.dialect.name
        rendered = self._rendered.get(name)
        if rendered is None:
            compiled = self._statement.compile(  # type: ignore[attr-defined]
                dialect=connection.dialect, column_keys=list(self._keys), for_executemany=True)  # no implicit RETURNING
            constants = {key: value for key, value in compiled.params.items() if key not in self._keys}
            order = compiled.positiontup if compiled.positional else None
            rendered = self._rendered[name] = (str(compiled), _parameters(self._keys, order, constants))
        return rendered

    def execute(self, connection: Connection, rows: Sequence[Values]) -> int:
        """Run the statement once per row (one driver executemany); returns the rows affected in all."""
        if not rows:
            return 0
        sql, parameters = self._render(connection)
        return int(connection.exec_driver_sql(sql, [parameters(row) for row in rows]).rowcount)

    def fetch(self, connection: Connection, values: Values) -> Sequence[Any]:
        """Run the statement once; returns its rows (the driver's values, no type processing)."""
        sql, parameters = self._render(connection)
        return connection.exec_driver_sql(sql, parameters(values)).fetchall()


def _parameters(keys: tuple[str, ...], order: Sequence[str] | None,
                constants: dict[str, Any]) -> Callable[[Values], Any]:
    """values -> the driver's parameters: by position (``order`` names each one) or by name."""
    if order is None:
        return lambda values: {**constants, **dict(zip(keys, values, strict=True))}
    if tuple(order) == keys:
        return lambda values: values
    extra = tuple(constants.values())
    index = {key: position for position, key in enumerate(keys + tuple(constants))}
    positions = [index[key] for key in order]
    if len(positions) == 1:  # itemgetter of one position answers the value itself, not a 1-tuple
        return lambda values: ((values + extra)[positions[0]],)
    pick = itemgetter(*positions)
    return lambda values: pick(values + extra)


def dumps(value: Any) -> str:
    """A JSON parameter's value."""
    return orjson.dumps(value).decode()


def loads(value: Any) -> Any:
    """A JSON column's returned value: text from SQLite, already decoded by psycopg (orjson, see engine.py)."""
    return orjson.loads(value) if isinstance(value, str) else value
