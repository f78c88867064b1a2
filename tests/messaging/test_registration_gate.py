"""US toll-free and 10DLC numbers send text only once their registration is COMPLETE (issue 4, gating)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.inbound.support import us_number
from tests.service.registrations.forms import review
from tests.support.errors import error_of

HANDSET = "+12065550123"


def test_unregistered_toll_free_number_cannot_send_text(client):
    number = us_number(client)
    with pytest.raises(ClientError) as excinfo:
        client.send_text_message(DestinationPhoneNumber=HANDSET, MessageBody="hi",
                                 OriginationIdentity=number["PhoneNumberId"])
    error = error_of(excinfo)
    assert (error["Code"], error["Reason"], error["ResourceType"], error["ResourceId"]) == (
        "ConflictException", "REGISTRATION_NOT_COMPLETE", "phone-number", number["PhoneNumberId"])


def test_a_submitted_but_unapproved_registration_is_not_enough_and_approval_is(client, server):
    from tests.service.registrations.forms import fill

    registration = client.create_registration(RegistrationType="US_TOLL_FREE_REGISTRATION")["RegistrationId"]
    number = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL", NumberCapabilities=["SMS"],
                                         NumberType="TOLL_FREE", RegistrationId=registration)
    fill(client, registration, "US_TOLL_FREE_REGISTRATION")
    client.submit_registration_version(RegistrationId=registration)
    with pytest.raises(ClientError) as excinfo:
        client.send_text_message(DestinationPhoneNumber=HANDSET, MessageBody="hi",
                                 OriginationIdentity=number["PhoneNumberId"])
    assert error_of(excinfo)["Reason"] == "REGISTRATION_NOT_COMPLETE"
    assert review(server, registration, "APPROVE").status_code == 200
    assert client.send_text_message(DestinationPhoneNumber=HANDSET, MessageBody="hi",
                                    OriginationIdentity=number["PhoneNumberId"])["MessageId"]


def test_unregistered_ten_dlc_number_is_not_chosen_automatically(client):
    client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL", NumberCapabilities=["SMS"],
                                NumberType="TEN_DLC")
    with pytest.raises(ClientError) as excinfo:  # the only US number is unregistered: nothing can send
        client.send_text_message(DestinationPhoneNumber=HANDSET, MessageBody="hi")
    assert error_of(excinfo)["Reason"] == "NO_ORIGINATION_IDENTITIES_FOUND"


def test_voice_is_not_gated(client):
    number = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                         NumberCapabilities=["SMS", "VOICE"], NumberType="TOLL_FREE")
    assert client.send_voice_message(DestinationPhoneNumber=HANDSET, MessageBody="Hello",
                                     OriginationIdentity=number["PhoneNumberId"])["MessageId"]
