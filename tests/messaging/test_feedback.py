"""PutMessageFeedback through boto3 against a real server: messages sent with feedback enabled (asked or by the
configuration set's default) take RECEIVED or FAILED within the hour and log a feedback record; others and
unknown ids are ResourceNotFoundException (ResourceType message); after the hour the feedback is final."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import make_client
from tests.messaging.support import US_SUCCESS, events, final_events, simulator_number
from tests.support.errors import error_of


def refused(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


def send(client: Any, origin: str, **kwargs: Any) -> str:
    return client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="ping", OriginationIdentity=origin,
                                    **kwargs)["MessageId"]


def test_received_feedback_is_stored_and_logged(client, server):
    origin = simulator_number(client)["PhoneNumberId"]
    message_id = send(client, origin, MessageFeedbackEnabled=True, Context={"k": "v"})
    final_events(server, message_id)
    answer = client.put_message_feedback(MessageId=message_id, MessageFeedbackStatus="RECEIVED")
    assert (answer["MessageId"], answer["MessageFeedbackStatus"]) == (message_id, "RECEIVED")
    records = events(server, message_id=message_id)
    assert [r["eventType"] for r in records] == ["TEXT_SUCCESSFUL", "TEXT_DELIVERED", "TEXT_FEEDBACK_RECEIVED"]
    feedback = records[-1]
    assert (feedback["isFinal"], feedback["messageStatus"], feedback["messageFeedbackStatus"]) == (
        False, "FEEDBACK_RECEIVED", "RECEIVED")
    assert (feedback["messageId"], feedback["context"]) == (message_id, {"k": "v"})
    assert [r["isFinal"] for r in records].count(True) == 1


def test_feedback_can_change_within_the_hour(client, server):
    message_id = send(client, simulator_number(client)["PhoneNumberId"], MessageFeedbackEnabled=True)
    client.put_message_feedback(MessageId=message_id, MessageFeedbackStatus="RECEIVED")
    answer = client.put_message_feedback(MessageId=message_id, MessageFeedbackStatus="FAILED")
    assert answer["MessageFeedbackStatus"] == "FAILED"
    assert [r["eventType"] for r in events(server, message_id=message_id)
            if "FEEDBACK" in r["eventType"]] == ["TEXT_FEEDBACK_RECEIVED", "TEXT_FEEDBACK_FAILED"]


def test_configuration_set_default_enables_feedback(client, server):
    client.create_configuration_set(ConfigurationSetName="fb")
    client.set_default_message_feedback_enabled(ConfigurationSetName="fb", MessageFeedbackEnabled=True)
    origin = simulator_number(client)["PhoneNumberId"]
    message_id = send(client, origin, ConfigurationSetName="fb")
    assert client.put_message_feedback(MessageId=message_id, MessageFeedbackStatus="RECEIVED")[
        "MessageFeedbackStatus"] == "RECEIVED"
    explicitly_off = send(client, origin, ConfigurationSetName="fb", MessageFeedbackEnabled=False)
    error = refused(client.put_message_feedback, MessageId=explicitly_off, MessageFeedbackStatus="RECEIVED")
    assert (error["Code"], error["ResourceType"], error["ResourceId"]) == (
        "ResourceNotFoundException", "message", explicitly_off)


def test_message_without_feedback_or_unknown_is_not_found(client):
    message_id = send(client, simulator_number(client)["PhoneNumberId"])
    for unknown in (message_id, "no-such-message"):
        error = refused(client.put_message_feedback, MessageId=unknown, MessageFeedbackStatus="RECEIVED")
        assert (error["Code"], error["ResourceType"], error["ResourceId"]) == (
            "ResourceNotFoundException", "message", unknown)


def test_another_accounts_message_is_not_found(client, server):
    message_id = send(client, simulator_number(client)["PhoneNumberId"], MessageFeedbackEnabled=True)
    stranger = make_client(server, "999988887777")
    error = refused(stranger.put_message_feedback, MessageId=message_id, MessageFeedbackStatus="RECEIVED")
    assert error["Code"] == "ResourceNotFoundException"


def feedback_records(server: Any, message_id: str) -> list[dict[str, Any]]:
    return [r for r in events(server, message_id=message_id) if "FEEDBACK" in r["eventType"]]


def test_after_an_hour_without_feedback_the_sweep_sets_failed(client, server):
    origin = simulator_number(client)["PhoneNumberId"]
    silent = send(client, origin, MessageFeedbackEnabled=True)
    answered = send(client, origin, MessageFeedbackEnabled=True)
    final_events(server, silent)
    client.put_message_feedback(MessageId=answered, MessageFeedbackStatus="RECEIVED")
    server.advance_clock(3601)
    deadline = time.monotonic() + 15
    while not feedback_records(server, silent):
        assert time.monotonic() < deadline, "no feedback timeout record"
        time.sleep(0.1)
    [record] = feedback_records(server, silent)
    assert (record["eventType"], record["messageFeedbackStatus"], record["isFinal"]) == (
        "TEXT_FEEDBACK_FAILED", "FAILED", False)
    assert record["messageStatusDescription"] == "No message feedback was received within an hour"
    error = refused(client.put_message_feedback, MessageId=silent, MessageFeedbackStatus="RECEIVED")
    assert (error["Code"], error["Reason"], error["ResourceType"]) == (
        "ConflictException", "RESOURCE_MODIFICATION_NOT_ALLOWED", "message")
    assert "(FAILED)" in error["Message"]
    error = refused(client.put_message_feedback, MessageId=answered, MessageFeedbackStatus="FAILED")
    assert "(RECEIVED)" in error["Message"]
    assert [r["eventType"] for r in feedback_records(server, answered)] == ["TEXT_FEEDBACK_RECEIVED"]


def test_media_and_voice_messages_take_feedback(client, server):
    origin = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                         NumberCapabilities=["SMS", "VOICE", "MMS"],
                                         NumberType="SIMULATOR")["PhoneNumberId"]
    voice = client.send_voice_message(DestinationPhoneNumber=US_SUCCESS, OriginationIdentity=origin,
                                      MessageBody="hi", MessageFeedbackEnabled=True)["MessageId"]
    media = client.send_media_message(DestinationPhoneNumber=US_SUCCESS, OriginationIdentity=origin,
                                      MediaUrls=["s3://bucket/none.png"], MessageFeedbackEnabled=True)["MessageId"]
    client.put_message_feedback(MessageId=voice, MessageFeedbackStatus="RECEIVED")
    client.put_message_feedback(MessageId=media, MessageFeedbackStatus="FAILED")
    assert [r["eventType"] for r in feedback_records(server, voice)] == ["VOICE_FEEDBACK_RECEIVED"]
    assert [r["eventType"] for r in feedback_records(server, media)] == ["MEDIA_FEEDBACK_FAILED"]
