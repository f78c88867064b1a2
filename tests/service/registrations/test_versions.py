"""Versions: submit only a complete draft, discard, new versions from the latest, the daily limit."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.service.registrations.forms import fill, review, submitted
from tests.support.errors import error_of

BRAND = "US_TEN_DLC_BRAND_REGISTRATION"


def _error(call, **params):
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def test_submit_names_every_missing_required_field(client):
    registration_id = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
    client.put_registration_field_value(RegistrationId=registration_id, FieldPath="companyInfo.companyName", TextValue="Acme")
    error = _error(client.submit_registration_version, RegistrationId=registration_id)
    assert error["Code"] == "ValidationException" and error["Reason"] == "MISSING_PARAMETER"
    named = {field["Name"] for field in error["Fields"]}
    assert "companyInfo.taxId" in named and "contactInfo.supportEmail" in named
    assert "companyInfo.companyName" not in named and "companyInfo.stockSymbol" not in named


def test_conditional_fields_are_required_when_their_condition_holds(client):
    registration_id = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
    fill(client, registration_id, BRAND)
    client.put_registration_field_value(RegistrationId=registration_id, FieldPath="companyInfo.legalType",
                                        SelectChoices=["PUBLIC_PROFIT"])
    error = _error(client.submit_registration_version, RegistrationId=registration_id)
    assert {field["Name"] for field in error["Fields"]} == {
        "companyInfo.stockSymbol", "companyInfo.stockExchange", "companyInfo.businessContactEmail"}


def test_submit_twice_and_submit_after_decision_are_conflicts(client, server):
    registration_id = submitted(client, BRAND)
    again = _error(client.submit_registration_version, RegistrationId=registration_id)
    assert (again["Code"], again["Reason"], again["ResourceId"]) == ("ConflictException", "REGISTRATION_ALREADY_SUBMITTED", registration_id)
    review(server, registration_id, "DENY", Reason="No")
    assert _error(client.submit_registration_version, RegistrationId=registration_id)["Reason"] == "SUBMIT_REGISTRATION_VERSION_NOT_ALLOWED"


def test_discard_only_a_draft(client):
    registration_id = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
    discarded = client.discard_registration_version(RegistrationId=registration_id)
    assert (discarded["VersionNumber"], discarded["RegistrationVersionStatus"]) == (1, "DISCARDED")
    assert "DiscardedTimestamp" in discarded["RegistrationVersionStatusHistory"]
    again = _error(client.discard_registration_version, RegistrationId=registration_id)
    assert again["Reason"] == "DISCARD_REGISTRATION_VERSION_NOT_ALLOWED"
    submitted_id = submitted(client, BRAND)
    assert _error(client.discard_registration_version, RegistrationId=submitted_id)["Reason"] == "DISCARD_REGISTRATION_VERSION_NOT_ALLOWED"


def test_new_version_refused_while_draft_or_under_review(client):
    registration_id = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
    assert _error(client.create_registration_version, RegistrationId=registration_id)["Reason"] == "CREATE_REGISTRATION_VERSION_NOT_ALLOWED"
    submitted_id = submitted(client, BRAND)
    assert _error(client.create_registration_version, RegistrationId=submitted_id)["Reason"] == "CREATE_REGISTRATION_VERSION_NOT_ALLOWED"


def test_new_version_copies_values_of_the_latest_not_discarded(client, server):
    registration_id = submitted(client, BRAND)
    review(server, registration_id, "DENY", Reason="Fix the city")
    client.create_registration_version(RegistrationId=registration_id)
    client.put_registration_field_value(RegistrationId=registration_id, FieldPath="companyInfo.city", TextValue="Discarded")
    client.discard_registration_version(RegistrationId=registration_id)
    third = client.create_registration_version(RegistrationId=registration_id)
    assert third["VersionNumber"] == 3
    city = client.describe_registration_field_values(RegistrationId=registration_id, FieldPaths=["companyInfo.city"])
    assert city["VersionNumber"] == 3 and city["RegistrationFieldValues"][0]["TextValue"] != "Discarded"
    assert "DeniedReason" not in city["RegistrationFieldValues"][0]
    first = client.describe_registration_field_values(RegistrationId=registration_id, VersionNumber=1)
    assert len(first["RegistrationFieldValues"]) == len(city["RegistrationFieldValues"]) or first["RegistrationFieldValues"]
    client.submit_registration_version(RegistrationId=registration_id)


def test_describe_versions_newest_first_filters_and_unknown(client, server):
    registration_id = submitted(client, BRAND)
    review(server, registration_id, "DENY", Reason="No")
    client.create_registration_version(RegistrationId=registration_id)
    versions = client.describe_registration_versions(RegistrationId=registration_id)["RegistrationVersions"]
    assert [(v["VersionNumber"], v["RegistrationVersionStatus"]) for v in versions] == [(2, "DRAFT"), (1, "DENIED")]
    denied = client.describe_registration_versions(
        RegistrationId=registration_id, Filters=[{"Name": "registration-version-status", "Values": ["DENIED"]}])
    assert [v["VersionNumber"] for v in denied["RegistrationVersions"]] == [1]
    page = client.describe_registration_versions(RegistrationId=registration_id, MaxResults=1)
    rest = client.describe_registration_versions(RegistrationId=registration_id, MaxResults=1, NextToken=page["NextToken"])
    assert [v["VersionNumber"] for v in page["RegistrationVersions"] + rest["RegistrationVersions"]] == [2, 1]
    assert client.describe_registration_versions(RegistrationId=registration_id, VersionNumbers=[1])["RegistrationVersions"][0]["VersionNumber"] == 1
    assert _error(client.describe_registration_versions, RegistrationId=registration_id,
                  VersionNumbers=[9])["Reason"] == "UNKNOWN_REGISTRATION_VERSION"
    assert _error(client.describe_registration_versions, RegistrationId=registration_id,
                  Filters=[{"Name": "registration-version-status", "Values": ["LOST"]}])["Reason"] == "INVALID_FILTER_VALUES"


def test_daily_limit_on_new_versions(client, server):
    registration_id = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
    client.discard_registration_version(RegistrationId=registration_id)
    for _ in range(5):
        client.create_registration_version(RegistrationId=registration_id)
        client.discard_registration_version(RegistrationId=registration_id)
    error = _error(client.create_registration_version, RegistrationId=registration_id)
    assert (error["Code"], error["Reason"]) == ("ServiceQuotaExceededException", "REGISTRATION_VERSIONS_CREATED_PER_DAY")
    server.advance_clock(86400 + 1)
    assert client.create_registration_version(RegistrationId=registration_id)["VersionNumber"] == 7
