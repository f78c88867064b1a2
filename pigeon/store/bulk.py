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

_MAX_GROUPS = 256
"""VALUES groups per statement at most (SQLite takes up to 32,766 parameters a statement)."""

Values = tuple[Any, ...]
"""One execution's parameters, in the statement's ``keys`` order."""


class DriverStatement:
    def __init__(self, statement: Executable, keys: Sequence[str], multirow: bool = False) -> None:
        """``keys``: the parameters each execution supplies, in the order of its values (for an INSERT, the
        columns it sets); the statement's other parameters keep the values it was built with.

        ``multirow`` (a plain INSERT): on SQLite, many rows go in as few statements with many VALUES groups
        instead of one step per row. The driver releases the interpreter lock around every step, and a
        thread that gives it up mid-batch waits for it again behind the serving thread (up to the switch
        interval, 5 ms) once per row."""
        self._statement = statement
        self._keys = tuple(keys)
        self._multirow = multirow
        self._rendered: dict[str, tuple[str, Callable[[Values], Any]]] = {}
        self._grouped: dict[int, str] = {}

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
        """Run the statement once per row (one driver executemany, or a few multi-row INSERTs); returns the
        rows affected in all."""
        if not rows:
            return 0
        sql, parameters = self._render(connection)
        if self._multirow and len(rows) > 1 and connection.dialect.paramstyle == "qmark":
            return self._execute_grouped(connection, sql, [parameters(row) for row in rows])
        return int(connection.exec_driver_sql(sql, [parameters(row) for row in rows]).rowcount)

    def _execute_grouped(self, connection: Connection, sql: str, rows: list[Any]) -> int:
        """The rows in chunks of at most ``_MAX_GROUPS``, each chunk one INSERT with a VALUES group per row."""
        width = len(rows[0])
        affected, start = 0, 0
        while start < len(rows):
            size = min(_MAX_GROUPS, len(rows) - start)
            grouped = self._grouped.get(size)
            if grouped is None:
                head, _, group = sql.partition(" VALUES ")
                assert group.startswith("(") and group.endswith(")"), "multirow is for plain INSERTs"
                grouped = self._grouped[size] = f"{head} VALUES {', '.join([group] * size)}"
            chunk = rows[start:start + size]
            flat = tuple(value for row in chunk for value in row)
            assert len(flat) == width * size
            affected += int(connection.exec_driver_sql(grouped, flat).rowcount)
            start += size
        return affected

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
