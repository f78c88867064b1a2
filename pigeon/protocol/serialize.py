"""Turn a business result into the wire shape of an output structure.

Only members of the output shape are emitted (records may carry private keys), None is dropped,
timestamps become epoch seconds and blobs base64. The walk is compiled once per shape.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from botocore.model import Shape

Writer = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _timestamp(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    return value


def _blob(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    return value


def _compile(shape: Shape, compiled: dict[str, Writer]) -> Writer:
    if shape.name in compiled:
        return compiled[shape.name]
    kind = shape.type_name
    if kind == "structure":
        slot: list[Writer] = []
        compiled[shape.name] = lambda value: slot[0](value)
        members = {name: _compile(member, compiled) for name, member in shape.members.items()}

        def write_structure(value: Any) -> Any:
            out = {}
            for name, writer in members.items():
                item = value.get(name)
                if item is not None:
                    out[name] = writer(item)
            return out

        slot.append(write_structure)
        compiled[shape.name] = write_structure
        return write_structure
    if kind == "list":
        item_writer = _compile(shape.member, compiled)
        writer: Writer = lambda value: [item_writer(item) for item in value]  # noqa: E731
    elif kind == "map":
        value_writer = _compile(shape.value, compiled)
        writer = lambda value: {key: value_writer(item) for key, item in value.items()}  # noqa: E731
    elif kind == "timestamp":
        writer = _timestamp
    elif kind == "blob":
        writer = _blob
    else:
        writer = _identity
    compiled[shape.name] = writer
    return writer


_COMPILED: dict[str, Writer] = {}


@cache
def writer_for(shape: Shape | None) -> Writer:
    if shape is None:
        return lambda value: {}
    return _compile(shape, _COMPILED)


def serialize(shape: Shape | None, result: dict[str, Any] | None) -> dict[str, Any]:
    return writer_for(shape)(result or {})
