"""Downloads of what delivery made of a message: ``GET /_pigeon/messages/{id}/audio`` (the synthesized WAV of a
voice message; ``?version=sent``: the 8 kHz G.711 WAV a SIP call streamed) and ``GET /_pigeon/messages/{id}/media`` (the fetched media of an MMS, with its content type).

A message without such a file (unknown, another channel, not delivered yet, failed) answers 404 with an
AWS-shaped ResourceNotFoundException body.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from pigeon.messaging import outbox
from pigeon.messaging.outbox import Message


def details(message: Message) -> dict[str, Any]:
    """What the message view adds for MMS and voice: the media's type and size, the voice, the audio's length
    and the minutes billed, with the download links (only once delivery has made the file)."""
    payload, base = message.payload, f"/_pigeon/messages/{message.message_id}"
    if message.channel == "MEDIA" and payload.get("MediaFile"):
        return {"MediaContentType": payload["MediaContentType"], "MediaBytes": payload["MediaBytes"],
                "MediaDownload": f"{base}/media"}
    if message.channel == "VOICE":
        found = {"VoiceId": payload.get("VoiceId"), "MessageBodyTextType": payload.get("MessageBodyTextType")}
        if payload.get("AudioFile"):
            found |= {"DurationSeconds": payload["DurationSeconds"], "BilledMinutes": payload["BilledMinutes"],
                      "AudioDownload": f"{base}/audio"}
        if payload.get("Carrier"):
            found |= {"Carrier": payload["Carrier"], "SipCallId": payload.get("SipCallId") or payload.get("CarrierMessageId") or None,
                      "SipStatus": payload.get("SipStatus"), "CallDurationSeconds": payload.get("CallDurationSeconds")}
        if payload.get("CallAudioFile"):
            found["CallAudioDownload"] = f"{base}/audio?version=sent"
        return found
    return {}


def _not_found(message_id: str, what: str) -> Response:
    body = {"__type": "ResourceNotFoundException", "message": f"The message {message_id} has no {what}.",
            "ResourceType": "message", "ResourceId": message_id}
    return Response(orjson.dumps(body), status_code=404, media_type="application/json")


def _bad_version(version: str) -> Response:
    body = {"__type": "ValidationException", "message": f"version {version!r}: synthesized (the default) or sent",
            "Reason": "FIELD_VALIDATION_FAILED", "Fields": [{"Name": "version", "Message": "synthesized or sent"}]}
    return Response(orjson.dumps(body), status_code=400, media_type="application/json")


def routes(runtime: Any) -> list[Route]:
    def download(member: str, content_type_member: str | None, fixed_type: str, what: str) -> Any:
        async def endpoint(request: Request) -> Response:
            message_id = request.path_params["message_id"]
            with runtime.store.transaction(write=False) as tx:
                message = outbox.get(tx, message_id)
            version = request.query_params.get("version", "")
            if member == "AudioFile" and version not in ("", "synthesized", "sent"):
                return _bad_version(version)
            key = "CallAudioFile" if member == "AudioFile" and version == "sent" else member
            relative = message.payload.get(key) if message is not None else None
            path = Path(runtime.settings.data_dir) / relative if relative else None
            if message is None or path is None or not path.is_file():
                return _not_found(message_id, what)
            media_type = message.payload.get(content_type_member, fixed_type) if content_type_member else fixed_type
            return FileResponse(path, media_type=media_type)
        return endpoint

    return [
        Route("/_pigeon/messages/{message_id}/audio", download("AudioFile", None, "audio/wav", "audio"),
              methods=["GET"]),
        Route("/_pigeon/messages/{message_id}/media",
              download("MediaFile", "MediaContentType", "application/octet-stream", "media"), methods=["GET"]),
    ]
