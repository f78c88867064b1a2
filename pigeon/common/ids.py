"""Resource ids in AWS's form: ``{prefix}-{32 lowercase hex}`` (e.g. ``pool-1a2b...``)."""

from __future__ import annotations

import uuid


def new(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def new_uuid() -> str:
    """A bare UUID, as AWS uses for message ids and request ids."""
    return str(uuid.uuid4())
