"""Verification codes through boto3 against a real server: SendDestinationNumberVerificationCode sends a real
message through the pipeline; VerifyDestinationNumber checks the code with its expiry, daily limits and errors;
a verified number then receives messages in a SANDBOX account."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from tests.messaging.support import final_events, messages
from tests.support.errors import error_of

GB_MOBILE = "+447400123456"


def refused(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


def pending(client: Any, number: str = GB_MOBILE) -> str:
    return client.create_verified_destination_number(DestinationPhoneNumber=number)["VerifiedDestinationNumberId"]


def sent_code(server: Any, message_id: str) -> str:
    [message] = [m for m in messages(server) if m["MessageId"] == message_id]
    return re.search(r"\d(?:, )?\d(?:, )?\d(?:, )?\d(?:, )?\d(?:, )?\d", message["MessageBody"])[0].replace(", ", "")


def send_code(client: Any, verified_id: str, **kwargs: Any) -> str:
    return client.send_destination_number_verification_code(VerifiedDestinationNumberId=verified_id,
                                                            VerificationChannel="TEXT", **kwargs)["MessageId"]


def test_code_is_a_real_message_and_verifies_the_number(client, server, account_id):
    verified_id = pending(client)
    message_id = send_code(client, verified_id, Context={"purpose": "verify"})
    [message] = messages(server, account=account_id)
    assert (message["MessageId"], message["Channel"], message["DestinationPhoneNumber"]) == (
        message_id, "TEXT", GB_MOBILE)
    assert re.fullmatch(r"Your verification code is \d{6}\.", message["MessageBody"])
    final = final_events(server, message_id)[-1]
    assert (final["eventType"], final["context"]) == ("TEXT_DELIVERED", {"purpose": "verify"})
    code = sent_code(server, message_id)
    described = client.describe_verified_destination_numbers(VerifiedDestinationNumberIds=[verified_id])
    assert described["VerifiedDestinationNumbers"][0]["Status"] == "PENDING"
    assert code not in str(described)
    answer = client.verify_destination_number(VerifiedDestinationNumberId=verified_id, VerificationCode=code)
    assert (answer["Status"], answer["DestinationPhoneNumber"], answer["VerifiedDestinationNumberId"]) == (
        "VERIFIED", GB_MOBILE, verified_id)
    [number] = client.describe_verified_destination_numbers()["VerifiedDestinationNumbers"]
    assert number["Status"] == "VERIFIED"


def test_wrong_code_is_a_mismatch(client, server):
    verified_id = pending(client)
    code = sent_code(server, send_code(client, verified_id))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    error = refused(client.verify_destination_number, VerifiedDestinationNumberId=verified_id, VerificationCode=wrong)
    assert (error["Code"], error["Reason"]) == ("ValidationException", "VERIFICATION_CODE_MISMATCH")
    client.verify_destination_number(VerifiedDestinationNumberId=verified_id, VerificationCode=code)


def test_verify_before_any_code_is_a_mismatch(client):
    error = refused(client.verify_destination_number, VerifiedDestinationNumberId=pending(client),
                    VerificationCode="123456")
    assert error["Reason"] == "VERIFICATION_CODE_MISMATCH"


def test_verified_number_refuses_another_code_and_another_check(client, server):
    verified_id = pending(client)
    code = sent_code(server, send_code(client, verified_id))
    client.verify_destination_number(VerifiedDestinationNumberId=verified_id, VerificationCode=code)
    again = refused(client.verify_destination_number, VerifiedDestinationNumberId=verified_id, VerificationCode=code)
    assert (again["Code"], again["Reason"]) == ("ConflictException", "VERIFICATION_ALREADY_COMPLETE")
    assert again["ResourceType"] == "verified-destination-number"
    resend = refused(client.send_destination_number_verification_code, VerifiedDestinationNumberId=verified_id,
                     VerificationChannel="TEXT")
    assert resend["Reason"] == "VERIFICATION_ALREADY_COMPLETE"


def test_code_expires_after_ten_minutes_and_a_new_code_replaces_it(client, server):
    verified_id = pending(client)
    old = sent_code(server, send_code(client, verified_id))
    server.advance_clock(601)
    error = refused(client.verify_destination_number, VerifiedDestinationNumberId=verified_id, VerificationCode=old)
    assert (error["Code"], error["Reason"]) == ("ConflictException", "VERIFICATION_CODE_EXPIRED")
    new = sent_code(server, send_code(client, verified_id))
    if new != old:
        assert refused(client.verify_destination_number, VerifiedDestinationNumberId=verified_id,
                       VerificationCode=old)["Reason"] == "VERIFICATION_CODE_MISMATCH"
    server.advance_clock(590)
    assert client.verify_destination_number(VerifiedDestinationNumberId=verified_id,
                                            VerificationCode=new)["Status"] == "VERIFIED"


def test_message_is_in_the_asked_language(client, server):
    verified_id = pending(client)
    message_id = send_code(client, verified_id, LanguageCode="FR_FR")
    [message] = [m for m in messages(server) if m["MessageId"] == message_id]
    assert re.fullmatch(r"Votre code de vérification est \d{6}\.", message["MessageBody"])


def test_codes_per_day_are_limited(client, server):
    verified_id = pending(client)
    for _ in range(5):
        send_code(client, verified_id)
    error = refused(client.send_destination_number_verification_code, VerifiedDestinationNumberId=verified_id,
                    VerificationChannel="TEXT")
    assert (error["Code"], error["Reason"]) == ("ServiceQuotaExceededException", "VERIFICATION_ATTEMPTS_PER_DAY")
    server.advance_clock(24 * 3600 + 1)
    send_code(client, verified_id)


def declared_errors(client: Any, operation: str) -> set[str]:
    return {shape.name for shape in client.meta.service_model.operation_model(operation).error_shapes}


def test_failed_checks_per_day_are_throttled_even_for_the_right_code(client, server):
    """VerifyDestinationNumber declares no ServiceQuotaExceededException: a sixth check in 24 hours after five
    wrong codes is ThrottlingException (HTTP 400), and checks are taken again a day after the first failure."""
    verified_id = pending(client)
    code = sent_code(server, send_code(client, verified_id))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert refused(client.verify_destination_number, VerifiedDestinationNumberId=verified_id,
                       VerificationCode=wrong)["Reason"] == "VERIFICATION_CODE_MISMATCH"
    error = refused(client.verify_destination_number, VerifiedDestinationNumberId=verified_id, VerificationCode=code)
    assert (error["Code"], error["Status"]) == ("ThrottlingException", 400)
    assert error["Code"] in declared_errors(client, "VerifyDestinationNumber")
    server.advance_clock(24 * 3600 + 1)
    new = sent_code(server, send_code(client, verified_id))
    assert client.verify_destination_number(VerifiedDestinationNumberId=verified_id,
                                            VerificationCode=new)["Status"] == "VERIFIED"


def test_origination_identity_must_be_of_the_destination_country(client, server):
    from tests.inbound.support import us_number

    toll_free = us_number(client, server, InternationalSendingEnabled=True)  # registered, so it may send
    error = refused(client.send_destination_number_verification_code, VerifiedDestinationNumberId=pending(client),
                    VerificationChannel="TEXT", OriginationIdentity=toll_free["PhoneNumberId"])
    assert (error["Code"], error["Reason"]) == ("ValidationException", "INVALID_IDENTITY_FOR_DESTINATION_COUNTRY")


def test_unknown_verified_number_is_not_found(client):
    error = refused(client.send_destination_number_verification_code, VerifiedDestinationNumberId="verified-none",
                    VerificationChannel="TEXT")
    assert (error["Code"], error["ResourceType"]) == ("ResourceNotFoundException", "verified-destination-number")
    error = refused(client.verify_destination_number, VerifiedDestinationNumberId="verified-none",
                    VerificationCode="1")
    assert error["Code"] == "ResourceNotFoundException"


def test_voice_code_is_a_call_that_speaks_the_digits(client, server):
    number = client.request_phone_number(IsoCountryCode="GB", MessageType="TRANSACTIONAL",
                                         NumberCapabilities=["SMS", "VOICE"], NumberType="LONG_CODE")
    verified_id = pending(client)
    message_id = client.send_destination_number_verification_code(
        VerifiedDestinationNumberId=verified_id, VerificationChannel="VOICE", LanguageCode="EN_GB",
        OriginationIdentity=number["PhoneNumberId"])["MessageId"]
    [message] = [m for m in messages(server) if m["MessageId"] == message_id]
    assert message["Channel"] == "VOICE"
    assert re.fullmatch(r"Your verification code is (\d, ){5}\d\. Again: (\d, ){5}\d\.", message["MessageBody"])
    assert final_events(server, message_id, timeout=60)[-1]["eventType"] == "VOICE_COMPLETED"
    client.verify_destination_number(VerifiedDestinationNumberId=verified_id,
                                     VerificationCode=sent_code(server, message_id))


def test_sandbox_account_sends_to_the_number_once_verified(client, server, account_id):
    verified_id = pending(client)
    requests.put(f"{server.url}/_pigeon/accounts/{account_id}", json={"AccountTier": "SANDBOX"},
                 timeout=10).raise_for_status()
    error = refused(client.send_text_message, DestinationPhoneNumber=GB_MOBILE, MessageBody="hello")
    assert error["Reason"] == "DESTINATION_PHONE_NUMBER_NOT_VERIFIED"
    code = sent_code(server, send_code(client, verified_id))
    client.verify_destination_number(VerifiedDestinationNumberId=verified_id, VerificationCode=code)
    message_id = client.send_text_message(DestinationPhoneNumber=GB_MOBILE, MessageBody="hello")["MessageId"]
    assert final_events(server, message_id)[-1]["eventType"] == "TEXT_DELIVERED"


def test_the_first_code_for_a_number_is_free_and_later_ones_are_charged(client, server):
    """aws-facts §1.5: "the first verification code per number is free"."""
    number = client.request_phone_number(IsoCountryCode="GB", MessageType="TRANSACTIONAL",
                                         NumberCapabilities=["SMS", "VOICE"], NumberType="LONG_CODE")
    verified_id = pending(client)
    first = final_events(server, send_code(client, verified_id))[-1]
    assert (first["eventType"], first["totalMessagePrice"], first["totalCarrierFee"]) == ("TEXT_DELIVERED", 0.0, 0.0)
    second = final_events(server, send_code(client, verified_id))[-1]
    assert second["eventType"] == "TEXT_DELIVERED" and second["totalMessagePrice"] > 0
    call = client.send_destination_number_verification_code(
        VerifiedDestinationNumberId=verified_id, VerificationChannel="VOICE",
        OriginationIdentity=number["PhoneNumberId"])["MessageId"]
    assert final_events(server, call, timeout=60)[-1]["totalMessagePrice"] > 0

    other = pending(client, "+447400123457")
    voice_first = client.send_destination_number_verification_code(
        VerifiedDestinationNumberId=other, VerificationChannel="VOICE",
        OriginationIdentity=number["PhoneNumberId"])["MessageId"]
    final = final_events(server, voice_first, timeout=60)[-1]
    assert (final["eventType"], final["totalMessagePrice"], final["totalCarrierFee"]) == ("VOICE_COMPLETED", 0.0, 0.0)
