"""Model-driven input validation, compiled once per input shape.

botocore's own validator checks only required members and minimums; this one checks every constraint
the model states (required, type, min/max, pattern, enum, list and map sizes, unknown members) and
converts wire values (blob base64 → bytes, timestamps → epoch float). Each checker appends violations
to a list that the caller turns into one ValidationException.

No string may hold a NUL character, whatever its pattern allows: PostgreSQL's text and jsonb cannot store
one (the request would fail in the store), and no handset or AWS console shows it.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from botocore.model import Shape

from pigeon.errors import FieldViolation, Invalid

Checker = Callable[[Any, str, list[FieldViolation], list[FieldViolation]], Any]
"""checker(value, path, missing, invalid) -> converted value."""

_MISSING_REASON = "MISSING_PARAMETER"
_INVALID_REASON = "FIELD_VALIDATION_FAILED"


def _join(path: str, member: str) -> str:
    return f"{path}.{member}" if path else member


def _compile_structure(shape: Shape, compiled: dict[str, Checker]) -> Checker:
    members = {name: _compile(member, compiled) for name, member in shape.members.items()}
    required = tuple(shape.required_members)

    def check(value: Any, path: str, missing: list, invalid: list) -> Any:
        if not isinstance(value, dict):
            invalid.append(FieldViolation(path or shape.name, "Expected a structure"))
            return value
        out: dict[str, Any] = {}
        for name, item in value.items():
            checker = members.get(name)
            if checker is None:
                invalid.append(FieldViolation(_join(path, name), "Unknown member"))
            elif item is not None:
                out[name] = checker(item, _join(path, name), missing, invalid)
        for name in required:
            if out.get(name) is None:
                missing.append(FieldViolation(_join(path, name), "Member must not be null"))
        return out

    return check


def _size_violation(size: int, low: int | None, high: int | None, unit: str) -> str | None:
    if low is not None and size < low:
        return f"Member must have {unit} greater than or equal to {low}"
    if high is not None and size > high:
        return f"Member must have {unit} less than or equal to {high}"
    return None


def _compile_list(shape: Shape, compiled: dict[str, Checker]) -> Checker:
    item_check = _compile(shape.member, compiled)
    low, high = shape.metadata.get("min"), shape.metadata.get("max")

    def check(value: Any, path: str, missing: list, invalid: list) -> Any:
        if not isinstance(value, list):
            invalid.append(FieldViolation(path, "Expected a list"))
            return value
        problem = _size_violation(len(value), low, high, "length")
        if problem:
            invalid.append(FieldViolation(path, problem))
        return [item_check(item, f"{path}[{index}]", missing, invalid) for index, item in enumerate(value)]

    return check


def _compile_map(shape: Shape, compiled: dict[str, Checker]) -> Checker:
    key_check = _compile(shape.key, compiled)
    value_check = _compile(shape.value, compiled)
    low, high = shape.metadata.get("min"), shape.metadata.get("max")

    def check(value: Any, path: str, missing: list, invalid: list) -> Any:
        if not isinstance(value, dict):
            invalid.append(FieldViolation(path, "Expected a map"))
            return value
        problem = _size_violation(len(value), low, high, "length")
        if problem:
            invalid.append(FieldViolation(path, problem))
        return {
            key_check(key, f"{path}.{key}", missing, invalid): value_check(
                item, f"{path}.{key}", missing, invalid
            )
            for key, item in value.items()
        }

    return check


def _compile_string(shape: Shape) -> Checker:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    pattern = re.compile(shape.metadata["pattern"]) if "pattern" in shape.metadata else None
    enum = frozenset(shape.enum) if shape.enum else None

    def check(value: Any, path: str, missing: list, invalid: list) -> Any:
        if not isinstance(value, str):
            invalid.append(FieldViolation(path, "Expected a string"))
            return value
        problem = _size_violation(len(value), low, high, "length")
        if problem:
            invalid.append(FieldViolation(path, problem))
        elif enum is not None and value not in enum:
            invalid.append(FieldViolation(path, f"Member must satisfy enum value set: [{', '.join(sorted(enum))}]"))
        elif pattern is not None and not pattern.fullmatch(value):
            invalid.append(FieldViolation(path, f"Member must satisfy regular expression pattern: {pattern.pattern}"))
        elif "\x00" in value:
            invalid.append(FieldViolation(path, "Member must not contain NUL characters"))
        return value

    return check


def _compile_number(shape: Shape, integral: bool) -> Checker:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    kinds: tuple[type, ...] = (int,) if integral else (int, float)

    def check(value: Any, path: str, missing: list, invalid: list) -> Any:
        if isinstance(value, bool) or not isinstance(value, kinds):
            invalid.append(FieldViolation(path, "Expected an integer" if integral else "Expected a number"))
            return value
        if low is not None and value < low:
            invalid.append(FieldViolation(path, f"Member must have value greater than or equal to {low}"))
        elif high is not None and value > high:
            invalid.append(FieldViolation(path, f"Member must have value less than or equal to {high}"))
        return value

    return check


def _check_boolean(value: Any, path: str, missing: list, invalid: list) -> Any:
    if not isinstance(value, bool):
        invalid.append(FieldViolation(path, "Expected a boolean"))
    return value


_EARLIEST, _AFTER_LATEST = -62135596800.0, 253402300800.0
"""0001-01-01T00:00:00Z and 10000-01-01T00:00:00Z (excluded): the range SDKs can read back (botocore fails on a response
holding a later time, so a stored one would break every later read of the resource)."""


def _check_timestamp(value: Any, path: str, missing: list, invalid: list) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        invalid.append(FieldViolation(path, "Expected a timestamp in epoch seconds"))
        return value
    if not _EARLIEST <= value < _AFTER_LATEST:
        invalid.append(FieldViolation(path, "Member must be a time between the years 1 and 9999"))
        return value
    return float(value)


def _compile_blob(shape: Shape) -> Checker:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")

    def check(value: Any, path: str, missing: list, invalid: list) -> Any:
        if not isinstance(value, str):
            invalid.append(FieldViolation(path, "Expected base64 encoded bytes"))
            return value
        try:
            data = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            invalid.append(FieldViolation(path, "Invalid base64 encoding"))
            return value
        problem = _size_violation(len(data), low, high, "length")
        if problem:
            invalid.append(FieldViolation(path, problem))
        return data

    return check


def _compile(shape: Shape, compiled: dict[str, Checker]) -> Checker:
    if shape.name in compiled:
        return compiled[shape.name]
    kind = shape.type_name
    if kind == "structure":
        # Recursive shapes: register a trampoline before compiling members.
        slot: list[Checker] = []
        compiled[shape.name] = lambda v, p, m, i: slot[0](v, p, m, i)
        slot.append(_compile_structure(shape, compiled))
        compiled[shape.name] = slot[0]
        return slot[0]
    if kind == "list":
        checker = _compile_list(shape, compiled)
    elif kind == "map":
        checker = _compile_map(shape, compiled)
    elif kind == "string":
        checker = _compile_string(shape)
    elif kind in ("integer", "long"):
        checker = _compile_number(shape, integral=True)
    elif kind in ("double", "float"):
        checker = _compile_number(shape, integral=False)
    elif kind == "boolean":
        checker = _check_boolean
    elif kind == "timestamp":
        checker = _check_timestamp
    elif kind == "blob":
        checker = _compile_blob(shape)
    else:  # pragma: no cover - the model has no other kinds
        raise ValueError(f"unsupported shape kind {kind}")
    compiled[shape.name] = checker
    return checker


_COMPILED: dict[str, Checker] = {}


@cache
def checker_for(shape: Shape | None) -> Checker:
    if shape is None:
        return lambda value, path, missing, invalid: {}
    return _compile(shape, _COMPILED)


def validate(shape: Shape | None, params: Any) -> dict[str, Any]:
    """Check ``params`` against ``shape``; return converted params or raise ValidationException."""
    missing: list[FieldViolation] = []
    invalid: list[FieldViolation] = []
    converted = checker_for(shape)(params, "", missing, invalid)
    if missing or invalid:
        reason = _MISSING_REASON if missing and not invalid else _INVALID_REASON
        raise Invalid(reason, fields=missing + invalid)
    return converted
