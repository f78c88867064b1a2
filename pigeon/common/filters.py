"""Describe/List filters: AND across filters, OR within a filter's values; unknown names rejected.

Each family declares a table ``{filter name: function(item) -> value or list of values}``; values are
compared as strings (booleans as ``true``/``false``), as AWS does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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
    items: Iterable[T], filters: list[Mapping[str, Any]] | None, table: Mapping[str, Extractor], field: str = "Filters"
) -> list[T]:
    """Keep the items that match every filter."""
    items = list(items)
    if not filters:
        return items
    check_names(filters, table, field)
    compiled = [(table[f["Name"]], {str(v).lower() if isinstance(v, bool) else str(v) for v in f["Values"]})
                for f in filters]
    return [item for item in items if all(_as_strings(extract(item)) & wanted for extract, wanted in compiled)]


def check_names(filters: list[Mapping[str, Any]] | None, table: Iterable[str], field: str = "Filters") -> None:
    """Reject filter names outside ``table`` (for families that filter in the store instead of ``apply``)."""
    unknown = [f["Name"] for f in filters or [] if f["Name"] not in table]
    if unknown:
        raise Invalid(
            "INVALID_FILTER_VALUES",
            f"Unsupported filter name(s): {', '.join(unknown)}",
            [FieldViolation(f"{field}.Name", f"Unsupported filter name {name}") for name in unknown],
        )


def check_values(filters: list[Mapping[str, Any]] | None, name: str, allowed: Iterable[str], field: str = "Filters") -> None:
    """Reject values outside ``allowed`` for the filter ``name`` (enum-valued filters)."""
    allowed = set(allowed)
    for f in filters or []:
        if f["Name"] == name:
            bad = [value for value in f["Values"] if value not in allowed]
            if bad:
                raise Invalid(
                    "INVALID_FILTER_VALUES",
                    f"Invalid values for filter {name}: {', '.join(bad)}",
                    [FieldViolation(f"{field}.Values", f"Invalid value {value}") for value in bad],
                )
