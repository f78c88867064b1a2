"""What the connector and a call process say about a call: the request, each step, what it costs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

SAFETY_SECONDS = 30.0
"""An answered call is hung up at the latest this long after its message should have ended."""


@dataclass(frozen=True)
class CallRequest:
    message_id: str
    origination: str
    destination: str
    audio: Path
    audio_seconds: float


@dataclass(frozen=True)
class CallEvent:
    message_id: str
    status: str
    is_final: bool
    description: str = ""
    sip_status: str = ""
    call_id: str = ""
    duration_seconds: float = 0.0
    answered: bool = False


def billed_minutes(duration_seconds: float, answered: bool) -> int:
    """Per started minute of the answered call (at least one); an unanswered call costs nothing."""
    return max(1, math.ceil(duration_seconds / 60)) if answered else 0
