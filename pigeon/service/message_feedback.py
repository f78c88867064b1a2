"""PutMessageFeedback: the sender's word that a message was RECEIVED (or FAILED).

Only messages sent with MessageFeedbackEnabled (asked, or the configuration set's
DefaultMessageFeedbackEnabled) take feedback; others, and unknown ids, are ResourceNotFoundException
(ResourceType ``message``). Within the hour after sending the status may be set and changed; after it the
status is final (FAILED when none was given: pigeon/messaging/feedback.py, which also writes the records).
"""

from __future__ import annotations

from typing import Any

from pigeon.errors import Conflict, NotFound
from pigeon.messaging import feedback, outbox
from pigeon.messaging.outbox import Message
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation
from pigeon.store import resources


def enabled(params: Params, configuration_set: dict[str, Any]) -> bool:
    """MessageFeedbackEnabled as asked, else the configuration set's DefaultMessageFeedbackEnabled."""
    asked = params.get("MessageFeedbackEnabled")
    return bool(configuration_set.get("DefaultMessageFeedbackEnabled", False) if asked is None else asked)


def expect(ctx: Context, message_id: str) -> None:
    """Start the message's hour for feedback (called when a message with feedback enabled is queued)."""
    feedback.expect(ctx.tx, ctx.scope, message_id, ctx.now)


def _message(ctx: Context, message_id: str) -> Message:
    message = outbox.get(ctx.tx, message_id)
    if message is None or message.scope != ctx.scope or not message.payload.get("MessageFeedbackEnabled"):
        raise NotFound("message", message_id,
                       f"No message {message_id} with message feedback enabled was found.")
    return message


@operation("PutMessageFeedback")
def put_message_feedback(ctx: Context, params: Params) -> Result:
    message_id, status = params["MessageId"], params["MessageFeedbackStatus"]
    message = _message(ctx, message_id)
    if ctx.now >= message.created_at + feedback.TIMEOUT_SECONDS:
        current = resources.get(ctx.tx, ctx.scope, feedback.FEEDBACK, message_id)
        final = current.data["MessageFeedbackStatus"] if current is not None else "FAILED"
        raise Conflict("RESOURCE_MODIFICATION_NOT_ALLOWED", "message", message_id,
                       f"The feedback of {message_id} is final ({final}): it can be given within "
                       f"{feedback.TIMEOUT_SECONDS // 60} minutes of sending.")
    feedback.store_status(ctx.tx, message, status, ctx.now, f"Message feedback: {status}")
    return {"MessageId": message_id, "MessageFeedbackStatus": status}
