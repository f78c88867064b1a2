"""What a call's SIP signalling means as AWS voice statuses (docs/decisions.md, "SIP voice").

180/183 -> RINGING; 200 -> ANSWERED; our hang-up after the message and its tail (or the callee's hang-up once
answered) -> COMPLETED; 486/600 -> BUSY; 408/480 from the far end, or our CANCEL at the ring timeout ->
NO_ANSWER; any other final 3xx-6xx, a transport error, or a trunk that never answered anything -> FAILED.
"""

from __future__ import annotations

from dataclasses import dataclass

RINGING_CODES = frozenset({180, 183})
BUSY_CODES = frozenset({486, 600})
NO_ANSWER_CODES = frozenset({408, 480})


@dataclass(frozen=True)
class Ending:
    status: str
    description: str


def ending(code: int, reason: str, *, answered: bool, heard: bool, timed_out: bool, played: bool) -> Ending:
    """The final status of a call that ended with SIP ``code`` (``reason``).

    ``answered``: the call was confirmed (200 + ACK); ``heard``: the trunk sent any response at all;
    ``timed_out``: we cancelled it at the ring timeout; ``played``: we hung up after the whole message."""
    sip = f"SIP {code} {reason}".strip()
    if answered:
        if played:
            return Ending("COMPLETED", "The message has been played")
        return Ending("COMPLETED", f"The callee hung up before the end of the message ({sip})")
    if not heard:
        return Ending("FAILED", f"The trunk did not answer ({sip}): unreachable")
    if timed_out:
        return Ending("NO_ANSWER", "The call was not answered before the ring timeout")
    if code in BUSY_CODES:
        return Ending("BUSY", f"The line is busy ({sip})")
    if code in NO_ANSWER_CODES:
        return Ending("NO_ANSWER", f"The call was not answered ({sip})")
    return Ending("FAILED", f"The call failed ({sip})")


def status_line(code: int, reason: str) -> str:
    return f"{code} {reason}".strip() if code else reason
