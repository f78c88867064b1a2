"""CreateRegistrationAssociation / ListRegistrationAssociations: SupportedAssociations, timing, identities."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.service.registrations.forms import approved, fill, review
from tests.support.errors import error_of

BRAND, CAMPAIGN, TOLL_FREE = "US_TEN_DLC_BRAND_REGISTRATION", "US_TEN_DLC_CAMPAIGN_REGISTRATION", "US_TOLL_FREE_REGISTRATION"


def _error(call, **params):
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def _number(client, number_type):
    return client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL", NumberCapabilities=["SMS"],
                                       NumberType=number_type)


def test_ten_dlc_brand_campaign_then_number(client, server):
    brand = approved(client, server, BRAND)
    campaign = client.create_registration(RegistrationType=CAMPAIGN)["RegistrationId"]
    fill(client, campaign, CAMPAIGN, ("REQUIRED", "CONDITIONAL"))
    missing = _error(client.submit_registration_version, RegistrationId=campaign)
    assert missing["Reason"] == "INVALID_REGISTRATION_ASSOCIATION"
    linked = client.create_registration_association(RegistrationId=campaign, ResourceId=brand)
    assert (linked["ResourceType"], linked["ResourceId"], linked["RegistrationType"]) == ("registration", brand, CAMPAIGN)
    number = _number(client, "TEN_DLC")
    early = _error(client.create_registration_association, RegistrationId=campaign, ResourceId=number["PhoneNumberId"])
    assert (early["Code"], early["Reason"]) == ("ConflictException", "REGISTRATION_NOT_COMPLETE")
    client.submit_registration_version(RegistrationId=campaign)
    assert review(server, campaign, "APPROVE").status_code == 200
    associated = client.create_registration_association(RegistrationId=campaign, ResourceId=number["PhoneNumberArn"])
    assert (associated["ResourceType"], associated["PhoneNumber"], associated["IsoCountryCode"]) == (
        "phone-number", number["PhoneNumber"], "US")
    described = client.describe_phone_numbers(PhoneNumberIds=[number["PhoneNumberId"]])["PhoneNumbers"][0]
    assert described["RegistrationId"] == campaign
    listed = client.list_registration_associations(RegistrationId=campaign)["RegistrationAssociations"]
    assert [a["ResourceType"] for a in listed] == ["registration", "phone-number"]
    phones = client.list_registration_associations(RegistrationId=campaign,
                                                   Filters=[{"Name": "resource-type", "Values": ["phone-number"]}])
    assert [a["ResourceId"] for a in phones["RegistrationAssociations"]] == [number["PhoneNumberId"]]
    again = _error(client.create_registration_association, RegistrationId=campaign, ResourceId=number["PhoneNumberId"])
    assert (again["Reason"], again["ResourceType"]) == ("RESOURCE_ALREADY_ASSOCIATED", "phone-number")


def test_brand_must_be_complete_before_a_campaign_takes_it(client):
    brand = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
    campaign = client.create_registration(RegistrationType=CAMPAIGN)["RegistrationId"]
    error = _error(client.create_registration_association, RegistrationId=campaign, ResourceId=brand)
    assert (error["Reason"], error["ResourceId"]) == ("REGISTRATION_NOT_COMPLETE", brand)


def test_unsupported_resources_are_invalid_associations(client, server):
    campaign = client.create_registration(RegistrationType=CAMPAIGN)["RegistrationId"]
    toll_free = _number(client, "TOLL_FREE")
    wrong_type = _error(client.create_registration_association, RegistrationId=campaign, ResourceId=toll_free["PhoneNumberId"])
    assert wrong_type["Reason"] == "INVALID_REGISTRATION_ASSOCIATION"
    other_campaign = client.create_registration(RegistrationType=CAMPAIGN)["RegistrationId"]
    assert _error(client.create_registration_association, RegistrationId=campaign,
                  ResourceId=other_campaign)["Reason"] == "INVALID_REGISTRATION_ASSOCIATION"
    brand = approved(client, server, BRAND)
    assert _error(client.create_registration_association, RegistrationId=brand,
                  ResourceId=toll_free["PhoneNumberId"])["Reason"] == "INVALID_REGISTRATION_ASSOCIATION"
    missing = _error(client.create_registration_association, RegistrationId=campaign, ResourceId="phone-" + "d" * 32)
    assert (missing["Code"], missing["ResourceType"]) == ("ResourceNotFoundException", "phone-number")
    no_registration = _error(client.create_registration_association, RegistrationId="registration-" + "e" * 32,
                             ResourceId=toll_free["PhoneNumberId"])
    assert no_registration["ResourceType"] == "registration"


def test_toll_free_number_associated_before_submit_then_registered(client, server):
    number = _number(client, "TOLL_FREE")
    registration = client.create_registration(RegistrationType=TOLL_FREE)["RegistrationId"]
    fill(client, registration, TOLL_FREE)
    assert _error(client.submit_registration_version, RegistrationId=registration)["Reason"] == "INVALID_REGISTRATION_ASSOCIATION"
    client.create_registration_association(RegistrationId=registration, ResourceId=number["PhoneNumberId"])
    second = _number(client, "TOLL_FREE")
    over = _error(client.create_registration_association, RegistrationId=registration, ResourceId=second["PhoneNumberId"])
    assert (over["Code"], over["Reason"]) == ("ServiceQuotaExceededException", "PHONE_NUMBERS_PER_REGISTRATION")
    other = client.create_registration(RegistrationType=TOLL_FREE)["RegistrationId"]
    taken = _error(client.create_registration_association, RegistrationId=other, ResourceId=number["PhoneNumberId"])
    assert taken["Reason"] == "PHONE_NUMBER_ASSOCIATED_TO_REGISTRATION"
    client.submit_registration_version(RegistrationId=registration)
    late = _error(client.create_registration_association, RegistrationId=registration, ResourceId=second["PhoneNumberId"])
    assert late["Reason"] == "REGISTRATION_ALREADY_SUBMITTED"
    assert review(server, registration, "APPROVE").status_code == 200
    assert client.describe_phone_numbers(PhoneNumberIds=[number["PhoneNumberId"]])["PhoneNumbers"][0]["RegistrationId"] == registration


def test_deleting_the_registration_frees_its_number(client, server):
    number = _number(client, "TOLL_FREE")
    registration = client.create_registration(RegistrationType=TOLL_FREE)["RegistrationId"]
    client.create_registration_association(RegistrationId=registration, ResourceId=number["PhoneNumberId"])
    client.delete_registration(RegistrationId=registration)
    assert "RegistrationId" not in client.describe_phone_numbers(PhoneNumberIds=[number["PhoneNumberId"]])["PhoneNumbers"][0]
    assert client.release_phone_number(PhoneNumberId=number["PhoneNumberId"])["Status"] == "DELETED"


def test_gb_sender_id_becomes_registered_on_approval(client, server):
    client.request_sender_id(SenderId="ACMEGB", IsoCountryCode="GB")
    registration = client.create_registration(RegistrationType="GB_SENDER_ID_REGISTRATION")["RegistrationId"]
    associated = client.create_registration_association(RegistrationId=registration, ResourceId="ACMEGB/GB")
    assert (associated["ResourceType"], associated["IsoCountryCode"]) == ("sender-id", "GB")
    sender = client.describe_sender_ids(SenderIds=[{"SenderId": "ACMEGB", "IsoCountryCode": "GB"}])["SenderIds"][0]
    assert (sender["Registered"], sender["RegistrationId"]) == (False, registration)
    fill(client, registration, "GB_SENDER_ID_REGISTRATION")
    client.submit_registration_version(RegistrationId=registration)
    assert review(server, registration, "APPROVE").status_code == 200
    sender = client.describe_sender_ids(SenderIds=[{"SenderId": "ACMEGB", "IsoCountryCode": "GB"}])["SenderIds"][0]
    assert sender["Registered"] is True
    assert len(client.list_registration_associations(RegistrationId=registration)["RegistrationAssociations"]) == 1
    australian = client.create_registration(RegistrationType="AU_SENDER_ID_REGISTRATION")["RegistrationId"]
    assert _error(client.create_registration_association, RegistrationId=australian,
                  ResourceId="ACMEGB/GB")["Reason"] == "INVALID_REGISTRATION_ASSOCIATION"
    assert _error(client.list_registration_associations, RegistrationId=registration,
                  Filters=[{"Name": "colour", "Values": ["x"]}])["Code"] == "ValidationException"


def test_number_requested_with_a_registration_id_is_associated(client, server):
    registration = client.create_registration(RegistrationType=TOLL_FREE)["RegistrationId"]
    number = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL", NumberCapabilities=["SMS"],
                                         NumberType="TOLL_FREE", RegistrationId=registration)
    listed = client.list_registration_associations(RegistrationId=registration)["RegistrationAssociations"]
    assert [(a["ResourceId"], a["PhoneNumber"]) for a in listed] == [(number["PhoneNumberId"], number["PhoneNumber"])]
    again = _error(client.create_registration_association, RegistrationId=registration, ResourceId=number["PhoneNumberId"])
    assert again["Reason"] == "RESOURCE_ALREADY_ASSOCIATED"
    fill(client, registration, TOLL_FREE)
    client.submit_registration_version(RegistrationId=registration)
    other = client.create_registration(RegistrationType=TOLL_FREE)["RegistrationId"]
    taken = _error(client.create_registration_association, RegistrationId=other, ResourceId=number["PhoneNumberArn"])
    assert taken["Reason"] == "PHONE_NUMBER_ASSOCIATED_TO_REGISTRATION"


def test_sender_id_by_name_and_unknown_identities(client, account_id):
    client.request_sender_id(SenderId="SOLOGB", IsoCountryCode="GB")
    registration = client.create_registration(RegistrationType="GB_SENDER_ID_REGISTRATION")["RegistrationId"]
    assert client.create_registration_association(RegistrationId=registration, ResourceId="SOLOGB")["ResourceId"] == "SOLOGB/GB"
    unknown = _error(client.create_registration_association, RegistrationId=registration, ResourceId="NOSUCH/GB")
    assert (unknown["Code"], unknown["ResourceType"]) == ("ResourceNotFoundException", "sender-id")
    pool_arn = f"arn:aws:sms-voice:us-east-1:{account_id}:pool/pool-{'1' * 32}"
    assert _error(client.create_registration_association, RegistrationId=registration,
                  ResourceId=pool_arn)["Reason"] == "INVALID_REGISTRATION_ASSOCIATION"
