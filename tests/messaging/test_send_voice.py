"""SendVoiceMessage through boto3 against a real server: admission rules and errors; delivery speaks the body
with espeak-ng into a WAV kept for download, prices the call per started minute of audio, and emits
VOICE_INITIATED -> RINGING -> ANSWERED -> COMPLETED (or VOICE_FAILED / VOICE_BUSY)."""

from __future__ import annotations

import io
import math
import wave
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import yaml
from botocore.exceptions import ClientError

from tests.conftest import make_client, new_account_id
from tests.messaging.support import GB_SUCCESS, US_FAILURE, US_SUCCESS, final_events, messages, simulator_number
from tests.messaging.support import VOICE_RECORD_FIELDS as RECORD_FIELDS
from tests.support.errors import error_of
from tests.support.server import PigeonServer

US_VOICE_PER_MINUTE = 0.013


def refused(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


def call(client: Any, origin: str, body: str, **kwargs: Any) -> str:
    return client.send_voice_message(DestinationPhoneNumber=kwargs.pop("destination", US_SUCCESS),
                                     OriginationIdentity=origin, MessageBody=body, **kwargs)["MessageId"]


def audio_of(server: Any, message_id: str) -> tuple[bytes, float]:
    """The message's WAV and its duration in seconds."""
    response = requests.get(f"{server.url}/_pigeon/messages/{message_id}/audio", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(response.content)) as audio:
        return response.content, audio.getnframes() / audio.getframerate()


def test_call_is_spoken_and_completed_in_order(client, server, account_id):
    number = simulator_number(client)
    message_id = call(client, number["PhoneNumberId"], "Hello from Pigeon.", Context={"call": "1"})
    records = final_events(server, message_id, timeout=60)
    assert [(r["eventType"], r["isFinal"]) for r in records] == [
        ("VOICE_INITIATED", False), ("VOICE_RINGING", False), ("VOICE_ANSWERED", False), ("VOICE_COMPLETED", True)]
    assert [r["messageStatus"] for r in records] == ["INITIATED", "RINGING", "ANSWERED", "COMPLETED"]
    initiated = records[0]
    assert list(initiated) == RECORD_FIELDS
    assert (initiated["eventVersion"], initiated["originationPhoneNumber"]) == ("1.0", number["PhoneNumber"])
    assert (initiated["destinationPhoneNumber"], initiated["isoCountryCode"]) == (US_SUCCESS, "US")
    assert initiated["messageId"] == message_id and initiated["context"] == {"call": "1"}
    assert all(r["totalMessagePrice"] == US_VOICE_PER_MINUTE for r in records)
    assert [r["eventTimestamp"] for r in records] == sorted(r["eventTimestamp"] for r in records)
    [message] = messages(server, account=account_id)
    assert (message["Channel"], message["Status"], message["MessageBody"]) == ("VOICE", "DELIVERED",
                                                                              "Hello from Pigeon.")
    data, duration = audio_of(server, message_id)
    assert data[:4] == b"RIFF" and 0.5 < duration < 10
    assert (message["VoiceId"], message["MessageBodyTextType"], message["BilledMinutes"]) == ("MATTHEW", "TEXT", 1)
    assert message["DurationSeconds"] == pytest.approx(duration, abs=0.01)
    assert message["AudioDownload"] == f"/_pigeon/messages/{message_id}/audio"


def test_audio_grows_with_the_text_and_is_priced_per_started_minute(client, server):
    origin = simulator_number(client)["PhoneNumberId"]
    short = call(client, origin, "One.")
    long_body = " ".join(["Pigeon reads this sentence aloud to the caller."] * 40)
    long = call(client, origin, long_body)
    short_record, long_record = (final_events(server, m, timeout=90)[-1] for m in (short, long))
    _, short_seconds = audio_of(server, short)
    _, long_seconds = audio_of(server, long)
    assert 0 < short_seconds < long_seconds
    assert long_seconds > 60
    assert short_record["totalMessagePrice"] == US_VOICE_PER_MINUTE
    assert long_record["totalMessagePrice"] == pytest.approx(math.ceil(long_seconds / 60) * US_VOICE_PER_MINUTE)


def test_voice_id_changes_the_voice(client, server):
    origin = simulator_number(client)["PhoneNumberId"]
    male = call(client, origin, "The same words.")
    female = call(client, origin, "The same words.", VoiceId="JOANNA")
    for message_id in (male, female):
        assert final_events(server, message_id, timeout=60)[-1]["eventType"] == "VOICE_COMPLETED"
    assert audio_of(server, male)[0] != audio_of(server, female)[0]


def test_ssml_is_spoken_and_malformed_ssml_refused(client, server, unchecked_client):
    origin = simulator_number(client)["PhoneNumberId"]
    spoken = call(client, origin, "<speak>Hello <break time='1s'/> world</speak>", MessageBodyTextType="SSML")
    assert final_events(server, spoken, timeout=60)[-1]["eventType"] == "VOICE_COMPLETED"
    assert audio_of(server, spoken)[1] > 1.0
    for body in ("<speak>unclosed", "<say>not speak</say>", "<speak><audio src='/etc/passwd'/></speak>"):
        error = refused(client.send_voice_message, DestinationPhoneNumber=US_SUCCESS, OriginationIdentity=origin,
                        MessageBody=body, MessageBodyTextType="SSML")
        assert (error["Code"], error["Reason"]) == ("ValidationException", "CANNOT_PARSE"), body


def test_body_length_limits_per_text_type(client, server, account_id):
    origin = simulator_number(client)["PhoneNumberId"]
    error = refused(client.send_voice_message, DestinationPhoneNumber=US_SUCCESS, OriginationIdentity=origin,
                    MessageBody="a" * 3001)
    assert (error["Code"], error["Reason"]) == ("ValidationException", "MAXIMUM_SIZE_EXCEEDED")
    call(client, origin, "a" * 3000, DryRun=True)
    ssml = "<speak>" + "b" * 5980 + "</speak>"
    call(client, origin, ssml, MessageBodyTextType="SSML", DryRun=True)
    assert messages(server, account=account_id) == []


def test_nul_in_the_body_is_a_validation_error(client, server, account_id):
    origin = simulator_number(client)["PhoneNumberId"]
    error = refused(client.send_voice_message, DestinationPhoneNumber=US_SUCCESS, OriginationIdentity=origin,
                    MessageBody="a\x00b", Context={"k": "v\x00"})
    assert (error["Code"], error["Reason"]) == ("ValidationException", "FIELD_VALIDATION_FAILED")
    assert [field["Name"] for field in error["Fields"]] == ["MessageBody", "Context.k"]
    assert messages(server, account=account_id) == []


def test_failure_number_ends_voice_failed(client, server):
    message_id = call(client, simulator_number(client)["PhoneNumberId"], "x", destination=US_FAILURE)
    [record] = final_events(server, message_id, timeout=60)
    assert (record["eventType"], record["messageStatus"], record["isFinal"]) == ("VOICE_FAILED", "FAILED", True)


def test_sender_ids_and_numbers_without_voice_are_refused(client):
    sender = client.request_sender_id(SenderId="CALLER", IsoCountryCode="GB")
    error = refused(client.send_voice_message, DestinationPhoneNumber="+447400123456",
                    OriginationIdentity=sender["SenderIdArn"], MessageBody="hi")
    assert (error["Code"], error["Reason"]) == ("ValidationException", "VOICE_CAPABILITY_NOT_AVAILABLE")
    sms_only = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                           NumberCapabilities=["SMS"], NumberType="SIMULATOR")
    error = refused(client.send_voice_message, DestinationPhoneNumber=US_SUCCESS,
                    OriginationIdentity=sms_only["PhoneNumberId"], MessageBody="hi")
    assert (error["Code"], error["Reason"]) == ("ConflictException", "NUMBER_CAPABILITIES_MISMATCH")


def test_pool_member_with_voice_places_the_call(client, server):
    number = simulator_number(client)
    pool = client.create_pool(OriginationIdentity=number["PhoneNumberId"], IsoCountryCode="US",
                              MessageType="TRANSACTIONAL")
    message_id = call(client, pool["PoolId"], "From a pool.")
    assert final_events(server, message_id, timeout=60)[0]["originationPhoneNumber"] == number["PhoneNumber"]


def test_a_pool_with_no_voice_member_refuses_the_call_naming_the_capability(client):
    number = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                         NumberCapabilities=["SMS"], NumberType="SIMULATOR")
    pool = client.create_pool(OriginationIdentity=number["PhoneNumberId"], IsoCountryCode="US",
                              MessageType="TRANSACTIONAL")
    error = refused(client.send_voice_message, DestinationPhoneNumber=US_SUCCESS, OriginationIdentity=pool["PoolId"],
                    MessageBody="x")
    assert (error["Code"], error["Reason"], error["ResourceType"], error["ResourceId"]) == (
        "ConflictException", "NUMBER_CAPABILITIES_MISMATCH", "pool", pool["PoolId"])
    text = refused(client.send_text_message, DestinationPhoneNumber=GB_SUCCESS, OriginationIdentity=pool["PoolId"],
                   MessageBody="x")  # the member can send text, not to GB: the country is the reason, and why
    assert (text["Code"], text["Reason"]) == ("ValidationException", "INVALID_IDENTITY_FOR_DESTINATION_COUNTRY")
    assert "simulator number sends only to destination simulator numbers of its country" in text["Message"]


def test_max_price_per_minute_and_spend_limit(client):
    origin = simulator_number(client)["PhoneNumberId"]
    error = refused(client.send_voice_message, DestinationPhoneNumber=US_SUCCESS, OriginationIdentity=origin,
                    MessageBody="hi", MaxPricePerMinute="0.012")
    assert (error["Code"], error["Reason"]) == ("ValidationException", "PRICE_OVER_THRESHOLD")
    assert error["Fields"][0]["Name"] == "MaxPricePerMinute"
    call(client, origin, "hi", MaxPricePerMinute="0.013", DryRun=True)
    client.set_voice_message_spend_limit_override(MonthlyLimit=0)
    error = refused(client.send_voice_message, DestinationPhoneNumber=US_SUCCESS, OriginationIdentity=origin,
                    MessageBody="hi")
    assert (error["Code"], error["Reason"]) == ("ServiceQuotaExceededException",
                                                "MONTHLY_SPEND_LIMIT_REACHED_FOR_VOICE")


def test_sandbox_calls_one_recipient_at_most_five_times_a_day(client, server, account_id):
    requests.put(f"{server.url}/_pigeon/accounts/{account_id}", json={"AccountTier": "SANDBOX"},
                 timeout=10).raise_for_status()
    origin = simulator_number(client)["PhoneNumberId"]
    for _ in range(5):
        call(client, origin, "again")
    error = refused(client.send_voice_message, DestinationPhoneNumber=US_SUCCESS, OriginationIdentity=origin,
                    MessageBody="again")
    assert (error["Code"], error["Reason"]) == ("ServiceQuotaExceededException", "DAILY_DESTINATION_CALL_LIMIT")
    error = refused(client.send_voice_message, DestinationPhoneNumber="+14155552671",
                    OriginationIdentity=origin, MessageBody="unverified")
    assert error["Code"] in ("ConflictException", "ValidationException")


def test_sandbox_places_at_most_five_calls_a_minute(client, server, account_id):
    requests.put(f"{server.url}/_pigeon/accounts/{account_id}", json={"AccountTier": "SANDBOX"},
                 timeout=10).raise_for_status()
    origin = simulator_number(client)["PhoneNumberId"]
    for destination in (US_SUCCESS, US_SUCCESS, US_SUCCESS, US_FAILURE, US_FAILURE):
        client.send_voice_message(DestinationPhoneNumber=destination, OriginationIdentity=origin, MessageBody="hi")
    error = refused(client.send_voice_message, DestinationPhoneNumber=US_FAILURE, OriginationIdentity=origin,
                    MessageBody="a sixth call this minute")
    assert (error["Code"], error["Status"]) == ("ThrottlingException", 400)
    server.advance_clock(61)
    assert client.send_voice_message(DestinationPhoneNumber=US_FAILURE, OriginationIdentity=origin,
                                     MessageBody="next minute")["MessageId"]


def test_sandbox_call_is_cut_at_thirty_seconds(client, server, account_id):
    requests.put(f"{server.url}/_pigeon/accounts/{account_id}", json={"AccountTier": "SANDBOX"},
                 timeout=10).raise_for_status()
    body = " ".join(["Pigeon reads this sentence aloud to the caller."] * 40)
    message_id = call(client, simulator_number(client)["PhoneNumberId"], body)
    record = final_events(server, message_id, timeout=60)[-1]
    _, seconds = audio_of(server, message_id)
    assert 29.9 < seconds <= 30.0
    assert record["totalMessagePrice"] == US_VOICE_PER_MINUTE
    [message] = messages(server, account=account_id)
    assert message["DurationSeconds"] == pytest.approx(seconds, abs=0.01)


def test_text_message_has_no_audio(client, server):
    message_id = client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="t",
                                          OriginationIdentity=simulator_number(client)["PhoneNumberId"])["MessageId"]
    final_events(server, message_id)
    response = requests.get(f"{server.url}/_pigeon/messages/{message_id}/audio", timeout=10)
    assert (response.status_code, response.json()["ResourceId"]) == (404, message_id)


@pytest.fixture(scope="module")
def busy_pigeon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PigeonServer]:
    config = tmp_path_factory.mktemp("voice") / "pigeon.yaml"
    config.write_text(yaml.safe_dump({"simulator_rules": [
        {"prefix": "+1206555", "status": "BUSY"}, {"prefix": "+1415555", "status": "NO_ANSWER"},
        {"prefix": "+1312555", "status": "FAILED", "transient": True}]}))
    server = PigeonServer(None, ["--config", str(config)]).start()
    yield server
    server.stop()


def test_simulator_rules_end_calls_busy_or_unanswered(busy_pigeon):
    client = make_client(busy_pigeon, new_account_id())
    number = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                         NumberCapabilities=["SMS", "VOICE"], NumberType="TOLL_FREE")
    for destination, event in (("+12065550123", "VOICE_BUSY"), ("+14155552671", "VOICE_NO_ANSWER"),
                               ("+12125550199", "VOICE_COMPLETED")):
        message_id = call(client, number["PhoneNumberId"], "ring ring", destination=destination)
        assert final_events(busy_pigeon, message_id, timeout=60)[-1]["eventType"] == event, destination


def test_protect_configuration_refuses_blocked_calls_and_marks_allowed_ones(client, server):
    origin = simulator_number(client)["PhoneNumberId"]
    protect_id = client.create_protect_configuration()["ProtectConfigurationId"]
    client.update_protect_configuration_country_rule_set(
        ProtectConfigurationId=protect_id, NumberCapability="VOICE", CountryRuleSetUpdates={"US": {"ProtectStatus": "BLOCK"}})
    error = refused(client.send_voice_message, DestinationPhoneNumber=US_SUCCESS, OriginationIdentity=origin,
                    MessageBody="hi", ProtectConfigurationId=protect_id)
    assert (error["Code"], error["Reason"], error["ResourceId"]) == (
        "ConflictException", "DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION", protect_id)
    client.update_protect_configuration_country_rule_set(
        ProtectConfigurationId=protect_id, NumberCapability="VOICE", CountryRuleSetUpdates={"US": {"ProtectStatus": "ALLOW"}})
    client.put_protect_configuration_rule_set_number_override(
        ProtectConfigurationId=protect_id, DestinationPhoneNumber=US_FAILURE, Action="BLOCK")
    error = refused(client.send_voice_message, DestinationPhoneNumber=US_FAILURE, OriginationIdentity=origin,
                    MessageBody="hi", ProtectConfigurationId=protect_id)
    assert error["Reason"] == "DESTINATION_PHONE_NUMBER_BLOCKED_BY_PROTECT_NUMBER_OVERRIDE"
    allowed = call(client, origin, "hi", ProtectConfigurationId=protect_id)
    records = final_events(server, allowed, timeout=60)
    assert {str(r["protectConfiguration"]) for r in records} == {
        str({"protectConfigurationId": protect_id, "protectStatus": "ALLOW"})}


def test_call_the_carrier_never_takes_ends_voice_ttl_expired_uncharged(busy_pigeon):
    client = make_client(busy_pigeon, new_account_id())
    number = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                         NumberCapabilities=["SMS", "VOICE"], NumberType="TOLL_FREE")
    message_id = call(client, number["PhoneNumberId"], "nobody home", destination="+13125550123", TimeToLive=30)
    busy_pigeon.advance_clock(31)
    [record] = final_events(busy_pigeon, message_id, timeout=60)
    assert (record["eventType"], record["messageStatus"], record["isFinal"]) == ("VOICE_TTL_EXPIRED", "TTL_EXPIRED", True)
    assert (record["totalMessagePrice"], record["totalCarrierFee"]) == (0.0, 0.0)
    assert list(record) == [field for field in RECORD_FIELDS if field != "context"]
