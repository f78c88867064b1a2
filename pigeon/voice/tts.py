"""Speak a voice message to a WAV file with espeak-ng, in the language and gender of its Polly VoiceId.

TEXT bodies are spoken as given; SSML bodies must be well-formed ``<speak>`` documents of the tags Amazon Polly
supports and are spoken with espeak-ng's SSML mode. Only those tags: espeak-ng also reads
``<audio src="/any/file">`` from the server's disk into the WAV (and hands a file it cannot play to
``sh -c "sox ..."``). The WAV is kept for playback; its duration drives voice pricing (per minute).
"""

from __future__ import annotations

import shutil
import subprocess
import wave
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from pigeon import cpu_affinity

DEFAULT_VOICE_ID = "MATTHEW"
SYNTHESIS_TIMEOUT_SECONDS = 60
POLLY_SSML_TAGS = frozenset({"speak", "break", "emphasis", "lang", "mark", "p", "phoneme", "prosody", "s", "say-as",
                             "sub", "w", "domain", "effect", "breath", "auto-breaths"})
"""Amazon Polly's SSML tags (``amazon:domain`` and the like by their local names)."""


class SpeechError(Exception):
    """The body cannot be spoken (malformed SSML, unknown voice, espeak-ng missing or failing)."""


@dataclass(frozen=True)
class Voice:
    voice_id: str
    language: str
    gender: str
    espeak: str

    @property
    def espeak_voice(self) -> str:
        return f"{self.espeak}+{'f3' if self.gender == 'Female' else 'm3'}"


@dataclass(frozen=True)
class Speech:
    path: Path
    duration_seconds: float
    voice: Voice


@lru_cache(maxsize=1)
def voices() -> dict[str, Voice]:
    table = yaml.safe_load(resources.files("pigeon.data").joinpath("voices.yaml").read_text())
    return {voice_id: Voice(voice_id, **entry) for voice_id, entry in table.items()}


def voice_for(voice_id: str | None) -> Voice:
    try:
        return voices()[voice_id or DEFAULT_VOICE_ID]
    except KeyError as error:
        raise SpeechError(f"Unknown VoiceId {voice_id}") from error


def check_ssml(body: str) -> None:
    """SSML must parse as XML with a ``speak`` root element and hold only Polly's tags."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise SpeechError(f"MessageBody is not well-formed SSML: {error}") from error
    if root.tag.rsplit("}", 1)[-1] != "speak":
        raise SpeechError("SSML must have a <speak> root element")
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        if name not in POLLY_SSML_TAGS:
            raise SpeechError(f"SSML tag <{name}> is not supported (use the tags Amazon Polly supports)")


def synthesize(body: str, text_type: str, voice_id: str | None, out_path: Path) -> Speech:
    """Speak ``body`` (``TEXT`` or ``SSML``) into ``out_path`` (WAV) and return its duration."""
    voice = voice_for(voice_id)
    if text_type == "SSML":
        check_ssml(body)
    executable = shutil.which("espeak-ng")
    if executable is None:
        raise SpeechError("espeak-ng is not installed (Debian package espeak-ng)")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    command = [executable, "-v", voice.espeak_voice, "-w", str(out_path), "--stdin"]
    if text_type == "SSML":
        command.insert(1, "-m")
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        cpu_affinity.unpin(process.pid)  # synthesis is CPU work of its own, not for the requests' CPU
        try:
            _, stderr = process.communicate(body.encode(), timeout=SYNTHESIS_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise
    if process.returncode != 0 or not out_path.exists():
        raise SpeechError(f"espeak-ng failed: {stderr.decode(errors='replace')[:300]}")
    return Speech(out_path, wav_duration(out_path), voice)


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as audio:
        return audio.getnframes() / float(audio.getframerate())
