"""PutMessageFeedback: the sender's word that a message was RECEIVED (or FAILED).

Only messages sent with MessageFeedbackEnabled (asked, or the configuration set's
DefaultMessageFeedbackEnabled) take feedback; others, and unknown ids, are ResourceNotFoundException
(ResourceType ``message``). "If you use message feedback then you must update message feedback record ...
Otherwise, an hour after the message feedback record is set to FAILED" (API reference): within the hour the
status may be set and changed; after it, the status is final (FAILED if none was given), judged by the clock
when asked. The feedback is kept as a ``message-feedback`` resource named by the MessageId (the outbox row
belongs to the dispatcher), and each put writes a non-final ``{CHANNEL}_FEEDBACK_{STATUS}`` record to the
event log and the configuration set's event destinations (the model names no feedback event type).
"""

from __future__ import annotations

from typing import Any

from pigeon.common import arns
from pigeon.deliveries.events import for_events
from pigeon.errors import Conflict, NotFound
from pigeon.messaging import outbox, records
from pigeon.messaging.outbox import Message
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation
from pigeon.store import resources
from pigeon.store.resources import Record
from pigeon.store.schema import events

RESOURCE_TYPE = "message-feedback"
TIMEOUT_SECONDS = 3600


def enabled(params: Params, configuration_set: dict[str, Any]) -> bool:
    """MessageFeedbackEnabled as asked, else the configuration set's DefaultMessageFeedbackEnabled."""
    asked = params.get("MessageFeedbackEnabled")
    return bool(configuration_set.get("DefaultMessageFeedbackEnabled", False) if asked is None else asked)


def status_of(message: Message, feedback: Record | None, now: float) -> str | None:
    """The message's feedback status: the one put, FAILED once the hour has passed without one, else None."""
    if feedback is not None:
        return str(feedback.data["MessageFeedbackStatus"])
    return "FAILED" if now >= message.created_at + TIMEOUT_SECONDS else None


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
    feedback = resources.get_by_name(ctx.tx, ctx.scope, RESOURCE_TYPE, message_id, for_update=True)
    if ctx.now >= message.created_at + TIMEOUT_SECONDS:
        raise Conflict("RESOURCE_MODIFICATION_NOT_ALLOWED", "message", message_id,
                       f"The feedback of {message_id} is final ({status_of(message, feedback, ctx.now)}): "
                       f"it can be given within {TIMEOUT_SECONDS // 60} minutes of sending.")
    data = {"MessageId": message_id, "MessageFeedbackStatus": status, "UpdatedTimestamp": ctx.now}
    if feedback is None:
        arn = arns.build(ctx.scope, "message", message_id)
        resources.insert(ctx.tx, ctx.scope, Record(RESOURCE_TYPE, message_id, message_id, arn, ctx.now, data))
    else:
        resources.update(ctx.tx, feedback.with_data(**data))
    _log_event(ctx, message, status)
    return {"MessageId": message_id, "MessageFeedbackStatus": status}


def _log_event(ctx: Context, message: Message, status: str) -> None:
    """The feedback record, in the message's record format, to the event log and the event destinations."""
    record = records.record(message, f"FEEDBACK_{status}", False, ctx.now, f"Message feedback: {status}")
    record["messageFeedbackStatus"] = status
    configuration_set = message.payload.get("ConfigurationSetName")
    ctx.tx.execute(events.insert(), {
        "account_id": message.account_id, "region": message.region, "message_id": message.message_id,
        "event_type": record["eventType"], "is_final": False, "configuration_set": configuration_set,
        "created_at": ctx.now, "published_at": None, "record": record})
    for_events(ctx.tx, [(message.scope, configuration_set, record)], ctx.now)
