"""Tags on every taggable resource: given at create time or through TagResource/UntagResource."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pigeon.errors import FieldViolation, Invalid, QuotaExceeded

MAX_TAGS_PER_RESOURCE = 50
"""AWS's usual per-resource tag quota (the service's own figure is unconfirmed; see docs/decisions.md)."""


def from_wire(tag_list: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """``[{"Key", "Value"}]`` as a dict, rejecting the reserved ``aws:`` prefix."""
    out: dict[str, str] = {}
    for index, tag in enumerate(tag_list or []):
        key = tag["Key"]
        if key.lower().startswith("aws:"):
            raise Invalid(
                "FIELD_VALIDATION_FAILED",
                "Tag keys starting with 'aws:' are reserved.",
                [FieldViolation(f"Tags[{index}].Key", "Tag keys starting with 'aws:' are reserved")],
            )
        out[key] = tag.get("Value", "")
    return out


def to_wire(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def merged(existing: Mapping[str, str], added: Mapping[str, str]) -> dict[str, str]:
    """Existing tags with ``added`` applied, held to the per-resource quota."""
    result = {**existing, **added}
    if len(result) > MAX_TAGS_PER_RESOURCE:
        raise QuotaExceeded(
            "TAGS_PER_RESOURCE", f"A resource can have at most {MAX_TAGS_PER_RESOURCE} tags."
        )
    return result


def initial(tag_list: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """Tags given at create time, checked like TagResource."""
    return merged({}, from_wire(tag_list))
