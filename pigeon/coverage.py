"""Coverage: the operation registry held against the service model and the API reference's 91 actions."""

from __future__ import annotations

import re
from importlib import resources

from pigeon.protocol.model import operation_names
from pigeon.service import load_families
from pigeon.service.registry import OPERATIONS


def reference_actions() -> list[str]:
    """The actions listed by the API reference (kept as pigeon/data/reference-actions.txt)."""
    text = resources.files("pigeon.data").joinpath("reference-actions.txt").read_text()
    return [line.strip() for line in text.splitlines() if re.fullmatch(r"[A-Z][A-Za-z]+", line.strip())]


def report(show_missing: bool = False) -> str:
    load_families()
    model = operation_names()
    reference = reference_actions()
    done = set(OPERATIONS)
    lines = [
        f"{len(done & set(model))} of the model's {len(model)} operations implemented",
        f"{len(done & set(reference))} of the reference's {len(reference)} actions implemented",
        "",
    ]
    for name in sorted(model):
        mark = "x" if name in done else " "
        tag = "" if name in reference else "  (model only)"
        if show_missing and name in done:
            continue
        lines.append(f"[{mark}] {name}{tag}")
    return "\n".join(lines)
