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


@pytest.mark.parametrize("body", ['<speak>Hi <audio src="/etc/passwd"/></speak>',
                                  '<speak xml:base="/etc">Hi <audio src="passwd"/></speak>',
                                  '<speak>Hi <a:audio xmlns:a="urn:x" src="/etc/passwd"/></speak>',
                                  '<speak>Hi <voice name="en">there</voice></speak>'])
def test_ssml_tags_polly_does_not_have_are_refused(tmp_path, body):
    """espeak-ng would read <audio src> from the server's disk into the WAV (and run sox through sh on it)."""
    with pytest.raises(SpeechError, match="not supported"):
        synthesize(body, "SSML", "AMY", tmp_path / "audio.wav")
    assert not (tmp_path / "audio.wav").exists()


def test_polly_ssml_tags_are_spoken(tmp_path):
    body = ('<speak><p><s>Hello <emphasis>there</emphasis>.</s></p><prosody rate="slow">Your code is '
            '<say-as interpret-as="digits">123</say-as></prosody><break time="200ms"/><sub alias="W3C">w3c</sub>'
            '<lang xml:lang="fr-FR">bonjour</lang><mark name="m"/><w role="x">read</w>'
            '<phoneme alphabet="ipa" ph="t">t</phoneme></speak>')
    assert synthesize(body, "SSML", "AMY", tmp_path / "polly.wav").duration_seconds > 1.0
