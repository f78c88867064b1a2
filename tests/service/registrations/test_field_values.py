"""PutRegistrationFieldValue / DeleteRegistrationFieldValue / DescribeRegistrationFieldValues."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.service.registrations.forms import PNG
from tests.support.errors import error_of

BRAND = "US_TEN_DLC_BRAND_REGISTRATION"


@pytest.fixture
def brand(client):
    return client.create_registration(RegistrationType=BRAND)["RegistrationId"]


def _error(call, **params):
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def test_put_text_select_and_describe_in_catalogue_order(client, brand):
    put = client.put_registration_field_value(RegistrationId=brand, FieldPath="contactInfo.vertical", SelectChoices=["RETAIL"])
    assert (put["VersionNumber"], put["FieldPath"], put["SelectChoices"]) == (1, "contactInfo.vertical", ["RETAIL"])
    client.put_registration_field_value(RegistrationId=brand, FieldPath="companyInfo.companyName", TextValue="Acme Ltd")
    client.put_registration_field_value(RegistrationId=brand, FieldPath="companyInfo.companyName", TextValue="Acme Inc")
    values = client.describe_registration_field_values(RegistrationId=brand)
    assert [(v["FieldPath"], v.get("TextValue"), v.get("SelectChoices")) for v in values["RegistrationFieldValues"]] == [
        ("companyInfo.companyName", "Acme Inc", None), ("contactInfo.vertical", None, ["RETAIL"])]
    section = client.describe_registration_field_values(RegistrationId=brand, SectionPath="contactInfo")
    assert [v["FieldPath"] for v in section["RegistrationFieldValues"]] == ["contactInfo.vertical"]
    paged = client.describe_registration_field_values(RegistrationId=brand, MaxResults=1)
    rest = client.describe_registration_field_values(RegistrationId=brand, MaxResults=1, NextToken=paged["NextToken"])
    assert [v["FieldPath"] for v in paged["RegistrationFieldValues"] + rest["RegistrationFieldValues"]] == [
        "companyInfo.companyName", "contactInfo.vertical"]


def test_text_length_and_pattern_are_checked(client, brand):
    too_long = _error(client.put_registration_field_value, RegistrationId=brand, FieldPath="companyInfo.state", TextValue="x" * 51)
    assert too_long["Reason"] == "FIELD_VALIDATION_FAILED" and too_long["Fields"][0]["Name"] == "TextValue"
    bad = _error(client.put_registration_field_value, RegistrationId=brand, FieldPath="contactInfo.supportEmail", TextValue="not-an-email")
    assert bad["Reason"] == "FIELD_VALIDATION_FAILED"
    short = _error(client.put_registration_field_value, RegistrationId=brand, FieldPath="companyInfo.isoCountryCode", TextValue="U")
    assert short["Reason"] == "FIELD_VALIDATION_FAILED"


def test_select_options_and_counts_are_checked(client, brand):
    assert _error(client.put_registration_field_value, RegistrationId=brand, FieldPath="companyInfo.legalType",
                  SelectChoices=["CHARITY"])["Reason"] == "FIELD_VALIDATION_FAILED"
    assert _error(client.put_registration_field_value, RegistrationId=brand, FieldPath="companyInfo.legalType",
                  SelectChoices=["PRIVATE_PROFIT", "NON_PROFIT"])["Reason"] == "FIELD_VALIDATION_FAILED"
    assert _error(client.put_registration_field_value, RegistrationId=brand, FieldPath="companyInfo.legalType",
                  SelectChoices=[])["Reason"] == "FIELD_VALIDATION_FAILED"


def test_value_member_must_match_field_type(client, brand):
    wrong = _error(client.put_registration_field_value, RegistrationId=brand, FieldPath="companyInfo.legalType", TextValue="GOVERNMENT")
    assert wrong["Reason"] == "MISSING_PARAMETER" and wrong["Fields"][0]["Name"] == "SelectChoices"
    both = _error(client.put_registration_field_value, RegistrationId=brand, FieldPath="companyInfo.city",
                  TextValue="Leeds", SelectChoices=["Leeds"])
    assert both["Reason"] == "PARAMETERS_CANNOT_BE_USED_TOGETHER"
    none = _error(client.put_registration_field_value, RegistrationId=brand, FieldPath="companyInfo.city")
    assert none["Reason"] == "MISSING_PARAMETER"


def test_unknown_field_and_registration(client, brand):
    assert _error(client.put_registration_field_value, RegistrationId=brand, FieldPath="companyInfo.nickname",
                  TextValue="x")["Reason"] == "UNKNOWN_REGISTRATION_FIELD"
    missing = _error(client.put_registration_field_value, RegistrationId="registration-" + "a" * 32,
                     FieldPath="companyInfo.city", TextValue="x")
    assert (missing["Code"], missing["ResourceType"]) == ("ResourceNotFoundException", "registration")
    assert _error(client.describe_registration_field_values, RegistrationId=brand,
                  FieldPaths=["nope.nope"])["Reason"] == "UNKNOWN_REGISTRATION_FIELD"
    assert _error(client.describe_registration_field_values, RegistrationId=brand,
                  SectionPath="nope")["Reason"] == "UNKNOWN_REGISTRATION_SECTION"
    assert _error(client.describe_registration_field_values, RegistrationId=brand,
                  VersionNumber=7)["Reason"] == "UNKNOWN_REGISTRATION_VERSION"


def test_attachment_fields(client):
    registration = client.create_registration(RegistrationType="US_TOLL_FREE_REGISTRATION")
    attachment = client.create_registration_attachment(AttachmentBody=PNG)
    put = client.put_registration_field_value(RegistrationId=registration["RegistrationArn"],
                                              FieldPath="messagingUseCase.optInImage",
                                              RegistrationAttachmentId=attachment["RegistrationAttachmentArn"])
    assert put["RegistrationAttachmentId"] == attachment["RegistrationAttachmentId"]
    missing = _error(client.put_registration_field_value, RegistrationId=registration["RegistrationId"],
                     FieldPath="messagingUseCase.optInImage", RegistrationAttachmentId="attachment-" + "0" * 32)
    assert (missing["Code"], missing["ResourceType"]) == ("ResourceNotFoundException", "registration-attachment")


def test_delete_field_value(client, brand):
    client.put_registration_field_value(RegistrationId=brand, FieldPath="companyInfo.city", TextValue="Leeds")
    deleted = client.delete_registration_field_value(RegistrationId=brand, FieldPath="companyInfo.city")
    assert (deleted["FieldPath"], deleted["TextValue"]) == ("companyInfo.city", "Leeds")
    assert client.describe_registration_field_values(RegistrationId=brand)["RegistrationFieldValues"] == []
    again = _error(client.delete_registration_field_value, RegistrationId=brand, FieldPath="companyInfo.city")
    assert again["Reason"] == "REGISTRATION_FIELD_CANNOT_BE_DELETED"
    assert _error(client.delete_registration_field_value, RegistrationId=brand,
                  FieldPath="companyInfo.nope")["Reason"] == "UNKNOWN_REGISTRATION_FIELD"


def test_sender_id_field_takes_only_what_the_sender_id_api_can_address(client):
    """The sender ID created on approval must be usable with ReleaseSenderId/DescribeSenderIds, whose SenderId
    pattern is [A-Za-z0-9_-]+: a space would make an identity no request can name."""
    registration_id = client.create_registration(RegistrationType="GB_SENDER_ID_REGISTRATION")["RegistrationId"]
    spaced = _error(client.put_registration_field_value, RegistrationId=registration_id,
                    FieldPath="senderIdInfo.senderId", TextValue="MY SHOP")
    assert (spaced["Reason"], spaced["Fields"][0]["Name"]) == ("FIELD_VALIDATION_FAILED", "TextValue")
    put = client.put_registration_field_value(RegistrationId=registration_id, FieldPath="senderIdInfo.senderId",
                                              TextValue="MY-SHOP_1")
    assert put["TextValue"] == "MY-SHOP_1"
