"""CreateRegistration / DescribeRegistrations / DeleteRegistration."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.service.registrations.forms import approved, submitted
from tests.support.errors import error_of

BRAND = "US_TEN_DLC_BRAND_REGISTRATION"


def _error(call, **params):
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def test_create_returns_ids_arn_tags(client, account_id):
    created = client.create_registration(RegistrationType=BRAND, Tags=[{"Key": "k", "Value": "v"}])
    assert created["RegistrationId"].startswith("registration-") and len(created["RegistrationId"]) == 45
    assert created["RegistrationArn"] == f"arn:aws:sms-voice:us-east-1:{account_id}:registration/{created['RegistrationId']}"
    assert created["Tags"] == [{"Key": "k", "Value": "v"}]
    assert client.list_tags_for_resource(ResourceArn=created["RegistrationArn"])["Tags"] == [{"Key": "k", "Value": "v"}]


def test_create_is_idempotent_with_client_token(client):
    first = client.create_registration(RegistrationType=BRAND, ClientToken="once")
    second = client.create_registration(RegistrationType=BRAND, ClientToken="once")
    assert first["RegistrationId"] == second["RegistrationId"]
    assert len(client.describe_registrations()["Registrations"]) == 1


def test_describe_by_id_arn_filters_and_unknown(client, server):
    brand = client.create_registration(RegistrationType=BRAND)
    toll_free = client.create_registration(RegistrationType="US_TOLL_FREE_REGISTRATION")
    both = client.describe_registrations(RegistrationIds=[toll_free["RegistrationArn"], brand["RegistrationId"]])
    assert [r["RegistrationId"] for r in both["Registrations"]] == [brand["RegistrationId"], toll_free["RegistrationId"]]
    by_type = client.describe_registrations(Filters=[{"Name": "registration-type", "Values": ["US_TOLL_FREE_REGISTRATION"]}])
    assert [r["RegistrationId"] for r in by_type["Registrations"]] == [toll_free["RegistrationId"]]
    created = client.describe_registrations(Filters=[{"Name": "registration-status", "Values": ["CREATED"]}])
    assert len(created["Registrations"]) == 2
    missing = _error(client.describe_registrations, RegistrationIds=["registration-" + "b" * 32])
    assert (missing["Code"], missing["ResourceType"]) == ("ResourceNotFoundException", "registration")
    assert _error(client.describe_registrations, Filters=[{"Name": "registration-status", "Values": ["FINE"]}])["Reason"] == "INVALID_FILTER_VALUES"
    assert _error(client.describe_registrations, Filters=[{"Name": "colour", "Values": ["x"]}])["Code"] == "ValidationException"


def test_registrations_are_isolated_per_account(client, server):
    from tests.conftest import make_client, new_account_id

    registration_id = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
    other = make_client(server, new_account_id())
    assert other.describe_registrations()["Registrations"] == []
    assert _error(other.delete_registration, RegistrationId=registration_id)["Code"] == "ResourceNotFoundException"


def test_delete_a_draft_and_it_is_gone(client):
    registration_id = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
    deleted = client.delete_registration(RegistrationId=registration_id)
    assert (deleted["RegistrationId"], deleted["RegistrationStatus"]) == (registration_id, "DELETED")
    assert client.describe_registrations()["Registrations"] == []
    assert _error(client.describe_registration_versions, RegistrationId=registration_id)["Code"] == "ResourceNotFoundException"


def test_delete_refused_under_review_and_allowed_after_decision(client, server):
    registration_id = submitted(client, BRAND)
    error = _error(client.delete_registration, RegistrationId=registration_id)
    assert (error["Code"], error["Reason"], error["ResourceId"]) == ("ConflictException", "RESOURCE_DELETION_NOT_ALLOWED", registration_id)
    from tests.service.registrations.forms import review

    review(server, registration_id, "APPROVE")
    deleted = client.delete_registration(RegistrationId=registration_id)
    assert deleted["ApprovedVersionNumber"] == 1


def test_delete_refused_for_a_brand_its_campaign_uses(client, server):
    brand = approved(client, server, BRAND)
    campaign = client.create_registration(RegistrationType="US_TEN_DLC_CAMPAIGN_REGISTRATION")["RegistrationId"]
    client.create_registration_association(RegistrationId=campaign, ResourceId=brand)
    error = _error(client.delete_registration, RegistrationId=brand)
    assert (error["Reason"], error["ResourceId"]) == ("RESOURCE_DELETION_NOT_ALLOWED", brand)
    client.delete_registration(RegistrationId=campaign)
    client.delete_registration(RegistrationId=brand)


def test_account_limits_count_registrations(client):
    client.create_registration(RegistrationType=BRAND)
    limits = {limit["Name"]: limit for limit in client.describe_account_limits()["AccountLimits"]}
    assert limits["REGISTRATIONS"]["Used"] == 1


def test_account_quota_on_registrations(client):
    for _ in range(100):
        client.create_registration(RegistrationType="US_TEN_DLC_BRAND_VETTING")
    error = _error(client.create_registration, RegistrationType=BRAND)
    assert (error["Code"], error["Reason"]) == ("ServiceQuotaExceededException", "REGISTRATIONS_PER_ACCOUNT")


def test_tags_on_registrations_and_attachments(client):
    registration = client.create_registration(RegistrationType=BRAND)["RegistrationArn"]
    attachment = client.create_registration_attachment(AttachmentBody=b"%PDF-1.4 tiny")["RegistrationAttachmentArn"]
    for arn in (registration, attachment):
        client.tag_resource(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "ops"}])
        assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "ops"}]
