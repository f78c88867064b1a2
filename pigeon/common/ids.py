"""Resource ids in AWS's form: ``{prefix}-{32 lowercase hex}`` (e.g. ``pool-1a2b...``), and UUIDs
(random ones, and time-ordered ones for message ids).

Ids need uniqueness, not secrecy: they come from the ``random`` module (seeded from the OS, re-seeded
after fork), which costs no system call per id. Secrets (verification codes, signing keys) use ``secrets``.
"""

from __future__ import annotations

import random
import time

_bits = random.getrandbits


def new(prefix: str) -> str:
    return f"{prefix}-{_bits(128):032x}"


def new_uuid() -> str:
    """A random (version 4) UUID string, as AWS uses for message ids and request ids."""
    return _uuid(f"{_bits(128):032x}", "4")


def new_time_ordered_uuid() -> str:
    """A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then random bits. Message ids are keys of
    the busiest indexes; ids that grow with time are inserted at the end of an index, not into random pages
    (which, committed in small groups, would write several pages per message)."""
    return _uuid(f"{int(time.time() * 1000) & 0xFFFFFFFFFFFF:012x}{_bits(80):020x}", "7")


def _uuid(h: str, version: str) -> str:
    """32 hex digits laid out as a UUID of ``version`` (RFC 9562 variant bits)."""
    return f"{h[:8]}-{h[8:12]}-{version}{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


request_id = new_uuid
