"""The synthesized message as the call sends it: 8 kHz mono G.711 (sox), kept beside the original.

The RTP stream carries exactly these samples: the SIP stack decodes the G.711 WAV and encodes it again in the
negotiated law, which is lossless for the same law (µ-law for PCMU, A-law for PCMA).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

from pigeon import cpu_affinity

CALL_AUDIO_NAME = "call.wav"
RENDER_TIMEOUT_SECONDS = 60
_ENCODINGS = {"PCMU": "mu-law", "PCMA": "a-law"}


class AudioError(Exception):
    """The message's audio cannot be rendered for the call (no file, sox missing or failing)."""


def render(source: Path, codec: str) -> tuple[Path, float]:
    """Write ``call.wav`` (8 kHz mono G.711 in ``codec``'s law) next to ``source``; returns it and its seconds."""
    executable = shutil.which("sox")
    if executable is None:
        raise AudioError("sox is not installed (Debian package sox)")
    if not source.is_file():
        raise AudioError(f"the synthesized audio {source.name} is missing")
    target = source.with_name(CALL_AUDIO_NAME)
    command = [executable, "-q", str(source), "-r", "8000", "-c", "1", "-e", _ENCODINGS[codec], "-b", "8", str(target)]
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as process:
        cpu_affinity.unpin(process.pid)
        try:
            _, stderr = process.communicate(timeout=RENDER_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise AudioError("sox did not finish rendering the call audio") from None
    if process.returncode != 0 or not target.is_file():
        raise AudioError(f"sox failed: {stderr.decode(errors='replace')[:300]}")
    return target, duration(target)


def duration(path: Path) -> float:
    """Seconds of an 8 kHz 8-bit G.711 WAV (the ``wave`` module reads PCM only): its data chunk's bytes / 8000."""
    data = path.read_bytes()
    offset = 12
    while offset + 8 <= len(data):
        chunk, size = data[offset:offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        if chunk == b"data":
            return min(size, len(data) - offset - 8) / 8000.0
        offset += 8 + size + (size & 1)
    raise AudioError(f"{path.name} has no audio data")
