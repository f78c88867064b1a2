"""Resource ids in AWS's form: ``{prefix}-{32 lowercase hex}`` (e.g. ``pool-1a2b...``)."""

from __future__ import annotations

import os
import uuid


def new(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def new_uuid() -> str:
    """A bare UUID, as AWS uses for message ids and request ids."""
    return str(uuid.uuid4())


def request_id() -> str:
    """A random (version 4) UUID string, formatted without the cost of uuid.UUID on the hot path."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"
