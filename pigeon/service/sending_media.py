"""SendMediaMessage: the text-message admission rules for an MMS, then one MEDIA row in the outbox.

An MMS goes from a phone number or pool with the MMS capability (no sender IDs), carries one ``s3://`` media
file (MediaUrls, exactly one item in the model) and an optional body (never split into parts), and is priced
per message (data/pricing.yaml ``messages.media``). The file is fetched when the message is delivered
(pigeon/messaging/channels.py), so a missing or oversized file ends the message with a MEDIA_FILE_* event.
"""

from __future__ import annotations

from pigeon.common import ids
from pigeon.errors import FieldViolation, Invalid
from pigeon.messaging import encoding, pricing
from pigeon.service import channel_protect, message_feedback, origination, sending
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation


@operation("SendMediaMessage", sends=True)
def send_media_message(ctx: Context, params: Params) -> Result:
    body, media_urls = params.get("MessageBody"), params.get("MediaUrls") or []
    if not body and not media_urls:
        raise Invalid("MISSING_PARAMETER", "A media message needs MediaUrls or a MessageBody.",
                      [FieldViolation("MediaUrls", "Required")])
    destination = sending.destination_of(params["DestinationPhoneNumber"])
    configuration_set = sending.configuration_set_of(ctx, params.get("ConfigurationSetName"))
    message_type = configuration_set.get("DefaultMessageType") or "TRANSACTIONAL"
    origin = origination.choose(ctx, params["OriginationIdentity"], destination, None, "MMS")
    sending.check_destination_allowed(ctx, origin, destination)
    protect = channel_protect.protect_or_refuse(ctx, params, "MMS", destination)
    price = pricing.price_of("MEDIA", destination.iso_country, origin.number_type, message_type, 1)
    sending.check_price(params.get("MaxPrice"), price, "MaxPrice")
    sending.check_spend(ctx, "MEDIA", price)
    message_id = ids.new_time_ordered_uuid()
    if params.get("DryRun"):
        return {"MessageId": message_id}
    payload = {
        "MessageBody": body or "", "MediaUrls": list(media_urls),
        "Encoding": encoding.segment(body).encoding if body else "GSM", "Parts": 1, "MessageType": message_type,
        "Context": params.get("Context") or {},
        "MessageFeedbackEnabled": message_feedback.enabled(params, configuration_set),
        **sending.common_payload(ctx, params, origin, destination, configuration_set, price),
    }
    if protect is not None:
        payload["Protect"] = protect
    sending.enqueue(ctx, message_id, "MEDIA", origin, destination, params.get("TimeToLive"), payload)
    if payload["MessageFeedbackEnabled"]:
        message_feedback.expect(ctx, message_id)
    return {"MessageId": message_id}
