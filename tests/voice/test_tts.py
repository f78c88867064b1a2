"""Real espeak-ng audio: every VoiceId speaks, durations grow with the text, SSML is checked."""

from __future__ import annotations

import wave

import pytest

from pigeon.protocol.model import enum_values
from pigeon.voice.tts import SpeechError, synthesize, voices


def test_every_model_voice_id_has_a_voice():
    assert set(voices()) == set(enum_values("VoiceId"))


@pytest.mark.parametrize("voice_id", ["MATTHEW", "JOANNA", "HANS", "MIZUKI", "CELINE"])
def test_text_is_spoken_to_a_real_wav(tmp_path, voice_id):
    speech = synthesize("Your verification code is 1 2 3 4 5 6.", "TEXT", voice_id, tmp_path / "code.wav")
    with wave.open(str(speech.path)) as audio:
        assert audio.getnframes() > 0 and audio.getnchannels() == 1
    assert 1.0 < speech.duration_seconds < 10.0


def test_longer_text_takes_longer(tmp_path):
    short = synthesize("Hello.", "TEXT", None, tmp_path / "short.wav")
    long = synthesize("Hello. " + "This is a much longer message that takes a while to say. " * 5, "TEXT", None,
                      tmp_path / "long.wav")
    assert long.duration_seconds > 4 * short.duration_seconds
    assert short.voice.voice_id == "MATTHEW"


def test_ssml_is_spoken_and_malformed_ssml_refused(tmp_path):
    speech = synthesize('<speak>Hello <break time="1s"/> world</speak>', "SSML", "AMY", tmp_path / "ssml.wav")
    assert speech.duration_seconds > 1.0
    with pytest.raises(SpeechError):
        synthesize("<speak>unclosed", "SSML", "AMY", tmp_path / "bad.wav")
    with pytest.raises(SpeechError):
        synthesize("<voice>wrong root</voice>", "SSML", "AMY", tmp_path / "bad.wav")


def test_gender_follows_the_voice_id(tmp_path):
    assert voices()["JOANNA"].espeak_voice.endswith("+f3")
    assert voices()["MATTHEW"].espeak_voice.endswith("+m3")
