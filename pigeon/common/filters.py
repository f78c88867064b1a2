"""Describe/List filters: AND across filters, OR within a filter's values; unknown names rejected.

Each family declares a table ``{filter name: function(item) -> value or list of values}``; values are
compared as strings (booleans as ``true``/``false``), as AWS does. A filter whose values come from a closed
set (a model enum, true/false) is a ``OneOf`` entry (``one_of``, ``boolean``): any other value is
INVALID_FILTER_VALUES instead of matching nothing. Filters that do not compare for equality
(``...-begins-with``, ``...-before``, ``...-after``) are a ``Custom`` entry built with ``begins_with``,
``before`` or ``after``. Violations name the filter by its index (``Filters[1].Values[0]``), as the
protocol validator names list members.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pigeon.errors import FieldViolation, Invalid

T = TypeVar("T")
Extractor = Callable[[Any], Any]


def _as_strings(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, (list, tuple, set)):
        return set().union(*(_as_strings(item) for item in value)) if value else set()
    if isinstance(value, bool):
        return {"true" if value else "false"}
    return {str(value)}


def apply(
    items: Iterable[T],
    filters: list[Mapping[str, Any]] | None,
    table: Table,
    field: str = "Filters",
) -> list[T]:
    """Keep the items that match every filter."""
    items = list(items)
    if not filters:
        return items
    check_names(filters, table, field)
    tests = [_compile(table[f["Name"]], f, f"{field}[{index}]") for index, f in enumerate(filters)]
    return [item for item in items if all(test(item) for test in tests)]


@dataclass(frozen=True)
class OneOf:
    """An equality filter whose values must be among ``allowed``."""

    extract: Extractor
    allowed: frozenset[str]


Table = Mapping[str, "Extractor | Custom | OneOf"]
"""A family's filters by name."""

BOOLEAN_VALUES = ("true", "false")


def one_of(extract: Extractor, allowed: Iterable[str]) -> OneOf:
    return OneOf(extract, frozenset(allowed))


def boolean(extract: Extractor) -> OneOf:
    return OneOf(extract, frozenset(BOOLEAN_VALUES))


@dataclass(frozen=True)
class Custom:
    """A filter that does not compare for equality: ``compile(name, values, field)`` checks the values
    (raising ValidationException) and returns the test of one item."""

    compile: Callable[[str, list[str], str], Callable[[Any], bool]]


def _compile(entry: Extractor | Custom | OneOf, given: Mapping[str, Any], field: str) -> Callable[[Any], bool]:
    """The test of one filter; ``field`` is its path (``Filters[0]``)."""
    values = [str(v).lower() if isinstance(v, bool) else str(v) for v in given["Values"]]
    if isinstance(entry, Custom):
        return entry.compile(given["Name"], values, field)
    if isinstance(entry, OneOf):
        _check_allowed(given["Name"], values, entry.allowed, field)
        entry = entry.extract
    wanted = set(values)
    extract = entry
    return lambda item: bool(_as_strings(extract(item)) & wanted)


def _check_allowed(name: str, values: list[str], allowed: frozenset[str], field: str) -> None:
    bad = [(index, value) for index, value in enumerate(values) if value not in allowed]
    if bad:
        raise Invalid(
            "INVALID_FILTER_VALUES",
            f"Invalid values for filter {name}: {', '.join(value for _, value in bad)}",
            [FieldViolation(f"{field}.Values[{index}]", f"Invalid value {value}") for index, value in bad],
        )


def begins_with(extract: Extractor) -> Custom:
    """Matches when the item's value starts with any of the filter's values."""
    def compile_(name: str, values: list[str], field: str) -> Callable[[Any], bool]:
        return lambda item: any(value.startswith(tuple(values)) for value in _as_strings(extract(item)))
    return Custom(compile_)


def timestamp(value: str, name: str = "", field: str = "Filters") -> float:
    """A filter value as epoch seconds: a number of seconds, or an ISO 8601 date-time (UTC if unzoned)."""
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid("INVALID_FILTER_VALUES", f"Invalid value for filter {name}: {value} is not a timestamp",
                      [FieldViolation(f"{field}.Values", f"{value} is not a timestamp")]) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def before(extract: Callable[[Any], float | None], missing: float = float("inf")) -> Custom:
    """Matches when the item's time (``missing`` when it has none) is earlier than any value."""
    def compile_(name: str, values: list[str], field: str) -> Callable[[Any], bool]:
        limit = max(timestamp(value, name, field) for value in values)
        return lambda item: _or(extract(item), missing) < limit
    return Custom(compile_)


def after(extract: Callable[[Any], float | None], missing: float = float("inf")) -> Custom:
    """Matches when the item's time (``missing`` when it has none) is later than any value."""
    def compile_(name: str, values: list[str], field: str) -> Callable[[Any], bool]:
        limit = min(timestamp(value, name, field) for value in values)
        return lambda item: _or(extract(item), missing) > limit
    return Custom(compile_)


def _or(value: float | None, missing: float) -> float:
    return missing if value is None else value


def check_names(filters: list[Mapping[str, Any]] | None, table: Iterable[str], field: str = "Filters") -> None:
    """Reject filter names outside ``table`` (for families that filter in the store instead of ``apply``)."""
    unknown = [(index, f["Name"]) for index, f in enumerate(filters or []) if f["Name"] not in table]
    if unknown:
        raise Invalid(
            "INVALID_FILTER_VALUES",
            f"Unsupported filter name(s): {', '.join(name for _, name in unknown)}",
            [FieldViolation(f"{field}[{index}].Name", f"Unsupported filter name {name}") for index, name in unknown],
        )


def check_values(filters: list[Mapping[str, Any]] | None, name: str, allowed: Iterable[str], field: str = "Filters") -> None:
    """Reject values outside ``allowed`` for the filter ``name`` (enum-valued filters)."""
    for index, f in enumerate(filters or []):
        if f["Name"] == name:
            _check_allowed(name, [str(value) for value in f["Values"]], frozenset(allowed), f"{field}[{index}]")
