"""The channels' step before the carrier (the dispatcher's ``prepare`` hook): fetch an MMS's media, speak a
voice message.

The step completes the message's payload in place (the dispatcher persists it with the transition and builds
the event records from it), or returns the refusal that ends the message uncharged: MEDIA_FILE_INACCESSIBLE,
MEDIA_FILE_TYPE_UNSUPPORTED, MEDIA_FILE_SIZE_EXCEEDED, or VOICE_FAILED when the audio cannot be made.
Fetched media and synthesized audio are kept under ``{data_dir}/messages/{MessageId}/`` for the inspection API
(payload ``MediaFile`` / ``AudioFile``, relative to the data dir). A call is priced per started minute of its
audio (at least one).
"""

from __future__ import annotations

import math
import mimetypes
import wave
from dataclasses import replace
from pathlib import Path
from typing import Any

from pigeon.aws import AwsClients
from pigeon.carriers.base import Ack
from pigeon.deliveries.senders import aws_target
from pigeon.media.fetch import MediaError, MediaFetcher
from pigeon.messaging.outbox import Message
from pigeon.settings import Settings
from pigeon.voice import tts

AUDIO_NAME = "voice.wav"


def message_dir(message_id: str) -> Path:
    """Where a message's files live, relative to the data dir."""
    return Path("messages") / message_id


def media_fetcher(settings: Settings) -> MediaFetcher:
    """S3 through boto3 at s3_endpoint_url (else aws_endpoint_url); with neither, ``{data_dir}/media``."""
    endpoint = settings.s3_endpoint_url or settings.aws_endpoint_url
    clients = AwsClients(replace(aws_target(settings), endpoint_url=endpoint)) if endpoint else None
    return MediaFetcher(clients, settings.data_dir / "media")


class ChannelPreparer:
    """``prepare(message) -> None | refusal`` for the dispatcher; text messages pass through untouched."""

    def __init__(self, settings: Settings) -> None:
        self.data_dir = settings.data_dir
        self.fetcher = media_fetcher(settings)

    def __call__(self, message: Message) -> Ack | None:
        if message.channel == "MEDIA":
            return self._media(message)
        if message.channel == "VOICE":
            return self._voice(message)
        return None

    def _media(self, message: Message) -> Ack | None:
        payload = message.payload
        urls = payload.get("MediaUrls") or []
        if not urls:
            return None
        try:
            media = self.fetcher.fetch(urls[0])
        except MediaError as error:
            return _refused(payload, error.event.removeprefix("MEDIA_"), error.description)
        extension = mimetypes.guess_extension(media.content_type) or ".bin"
        relative = message_dir(message.message_id) / f"media{extension}"
        path = self.data_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(media.data)
        payload.update(MediaFile=str(relative), MediaContentType=media.content_type, MediaBytes=len(media.data))
        return None

    def _voice(self, message: Message) -> Ack | None:
        payload = message.payload
        relative = message_dir(message.message_id) / AUDIO_NAME
        try:
            speech = tts.synthesize(payload["MessageBody"], payload.get("MessageBodyTextType", "TEXT"),
                                    payload.get("VoiceId"), self.data_dir / relative)
        except (tts.SpeechError, OSError) as error:
            return _refused(payload, "FAILED", str(error))
        duration = speech.duration_seconds
        if payload.get("MaxDurationSeconds") and duration > payload["MaxDurationSeconds"]:
            duration = cut_wav(self.data_dir / relative, payload["MaxDurationSeconds"])
        minutes = max(1, math.ceil(duration / 60))
        payload.update(AudioFile=str(relative), DurationSeconds=round(duration, 3),
                       BilledMinutes=minutes, PriceMicros=payload["PricePerMinuteMicros"] * minutes,
                       CarrierFeeMicros=payload["CarrierFeePerMinuteMicros"] * minutes)
        return None


def cut_wav(path: Path, seconds: float) -> float:
    """Keep the first ``seconds`` of a WAV file (a sandbox call's limit); returns the new duration."""
    with wave.open(str(path), "rb") as audio:
        params = audio.getparams()
        frames = audio.readframes(int(seconds * params.framerate))
    with wave.open(str(path), "wb") as audio:
        audio.setparams(params)
        audio.writeframes(frames)
    return len(frames) / (params.sampwidth * params.nchannels) / params.framerate


def _refused(payload: dict[str, Any], status: str, description: str) -> Ack:
    """A final refusal before the carrier: nothing was sent, so nothing is charged."""
    payload.update(PriceMicros=0, CarrierFeeMicros=0)
    return Ack(False, status=status, description=description)
