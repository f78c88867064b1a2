"""The definitions catalogue through DescribeRegistrationType/Section/FieldDefinitions."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.support.errors import error_of


def test_catalogue_lists_the_documented_types_with_associations(client):
    types = {t["RegistrationType"]: t for t in client.describe_registration_type_definitions()["RegistrationTypeDefinitions"]}
    assert {"US_TEN_DLC_BRAND_REGISTRATION", "US_TEN_DLC_BRAND_VETTING", "US_TEN_DLC_CAMPAIGN_REGISTRATION",
            "US_TOLL_FREE_REGISTRATION", "US_SHORT_CODE_REGISTRATION", "AU_SENDER_ID_REGISTRATION",
            "IN_SENDER_ID_REGISTRATION", "GB_SENDER_ID_REGISTRATION", "GB_LONG_CODE_REGISTRATION"} <= set(types)
    campaign = types["US_TEN_DLC_CAMPAIGN_REGISTRATION"]["SupportedAssociations"]
    assert {"ResourceType": "phone-number", "IsoCountryCode": "US", "AssociationBehavior": "ASSOCIATE_AFTER_COMPLETE",
            "DisassociationBehavior": "DISASSOCIATE_ALL_ALLOWS_DELETE_REGISTRATION"} in campaign
    assert types["US_TEN_DLC_BRAND_VETTING"]["SupportedAssociations"][0]["AssociationBehavior"] == "ASSOCIATE_BEFORE_SUBMIT"
    assert types["US_TOLL_FREE_REGISTRATION"]["DisplayHints"]["Title"]


def test_type_filters_and_paging(client):
    sender = client.describe_registration_type_definitions(
        Filters=[{"Name": "supported-association-resource-type", "Values": ["sender-id"]}])["RegistrationTypeDefinitions"]
    assert sender and all(t["RegistrationType"].endswith("_SENDER_ID_REGISTRATION") for t in sender)
    gb = client.describe_registration_type_definitions(
        Filters=[{"Name": "supported-association-iso-country-code", "Values": ["GB"]}])["RegistrationTypeDefinitions"]
    assert {t["RegistrationType"] for t in gb} == {"GB_SENDER_ID_REGISTRATION", "GB_LONG_CODE_REGISTRATION"}
    first = client.describe_registration_type_definitions(MaxResults=3)
    second = client.describe_registration_type_definitions(MaxResults=3, NextToken=first["NextToken"])
    names = [t["RegistrationType"] for t in first["RegistrationTypeDefinitions"] + second["RegistrationTypeDefinitions"]]
    assert len(names) == 6 and len(set(names)) == 6


def test_unknown_type_and_bad_filter(client):
    with pytest.raises(ClientError) as excinfo:
        client.describe_registration_type_definitions(RegistrationTypes=["US_TOLL_FREE_VERIFICATION"])
    assert error_of(excinfo).items() >= {"Code": "ValidationException", "Reason": "UNKNOWN_REGISTRATION_TYPE"}.items()
    with pytest.raises(ClientError) as excinfo:
        client.describe_registration_section_definitions(RegistrationType="NOPE")
    assert error_of(excinfo)["Reason"] == "UNKNOWN_REGISTRATION_TYPE"
    with pytest.raises(ClientError) as excinfo:
        client.create_registration(RegistrationType="NOPE")
    assert error_of(excinfo)["Reason"] == "UNKNOWN_REGISTRATION_TYPE"


def test_sections_and_unknown_section(client):
    sections = client.describe_registration_section_definitions(
        RegistrationType="US_TEN_DLC_CAMPAIGN_REGISTRATION")["RegistrationSectionDefinitions"]
    assert [s["SectionPath"] for s in sections] == ["campaignInfo", "campaignCapabilities", "campaignUseCase",
                                                    "messageSamples", "mmsFileSamples"]
    assert all(s["DisplayHints"]["Title"] and s["DisplayHints"]["ShortDescription"] for s in sections)
    one = client.describe_registration_section_definitions(RegistrationType="US_TEN_DLC_CAMPAIGN_REGISTRATION",
                                                           SectionPaths=["messageSamples"])
    assert [s["SectionPath"] for s in one["RegistrationSectionDefinitions"]] == ["messageSamples"]
    with pytest.raises(ClientError) as excinfo:
        client.describe_registration_section_definitions(RegistrationType="US_TEN_DLC_CAMPAIGN_REGISTRATION",
                                                         SectionPaths=["companyInfo"])
    assert error_of(excinfo)["Reason"] == "UNKNOWN_REGISTRATION_SECTION"


def test_field_definitions_carry_validation_and_hints(client):
    fields = {f["FieldPath"]: f for f in client.describe_registration_field_definitions(
        RegistrationType="US_TEN_DLC_BRAND_REGISTRATION", SectionPath="companyInfo")["RegistrationFieldDefinitions"]}
    assert fields["companyInfo.companyName"]["TextValidation"]["MaxLength"] == 100
    assert fields["companyInfo.taxIdIssuingCountry"]["TextValidation"]["MinLength"] == 2
    assert fields["companyInfo.legalType"]["SelectValidation"]["Options"] == ["PRIVATE_PROFIT", "PUBLIC_PROFIT",
                                                                             "NON_PROFIT", "GOVERNMENT"]
    assert fields["companyInfo.stockSymbol"]["FieldRequirement"] == "CONDITIONAL"
    assert all(f["SectionPath"] == "companyInfo" and f["DisplayHints"]["Title"] for f in fields.values())
    attachment = client.describe_registration_field_definitions(
        RegistrationType="US_TOLL_FREE_REGISTRATION", FieldPaths=["messagingUseCase.optInImage"])
    assert attachment["RegistrationFieldDefinitions"][0]["FieldType"] == "ATTACHMENT"
    assert attachment["RegistrationFieldDefinitions"][0]["FieldRequirement"] == "REQUIRED"


def test_unknown_field_and_section_for_fields(client):
    with pytest.raises(ClientError) as excinfo:
        client.describe_registration_field_definitions(RegistrationType="US_TEN_DLC_BRAND_REGISTRATION",
                                                       FieldPaths=["companyInfo.nickname"])
    assert error_of(excinfo)["Reason"] == "UNKNOWN_REGISTRATION_FIELD"
    with pytest.raises(ClientError) as excinfo:
        client.describe_registration_field_definitions(RegistrationType="US_TEN_DLC_BRAND_REGISTRATION",
                                                       SectionPath="campaignInfo")
    assert error_of(excinfo)["Reason"] == "UNKNOWN_REGISTRATION_SECTION"


def test_vetting_has_no_fields(client):
    answer = client.describe_registration_field_definitions(RegistrationType="US_TEN_DLC_BRAND_VETTING")
    assert answer["RegistrationFieldDefinitions"] == []


def test_no_text_field_advertises_more_than_a_field_value_can_hold(client):
    """TextValue of PutRegistrationFieldValue takes at most the model's maximum: a definition must not ask for
    more (the 10DLC campaign description was 4096 in AWS's sample)."""
    from pigeon.protocol.model import service_model

    most = service_model().shape_for("TextValue").metadata["max"]
    types = client.describe_registration_type_definitions()["RegistrationTypeDefinitions"]
    too_long = []
    for definition in types:
        paginator = client.get_paginator("describe_registration_field_definitions")
        for page in paginator.paginate(RegistrationType=definition["RegistrationType"]):
            too_long += [(definition["RegistrationType"], field["FieldPath"], field["TextValidation"]["MaxLength"])
                         for field in page["RegistrationFieldDefinitions"]
                         if field.get("TextValidation", {}).get("MaxLength", 0) > most]
    assert len(types) >= 5 and too_long == []
