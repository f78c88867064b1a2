"""The whole workflow through boto3 and the operator's review: discover, fill, attach, submit, approve or deny."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.service.registrations.forms import PNG, approved, fill, review, submitted
from tests.support.errors import error_of

BRAND = "US_TEN_DLC_BRAND_REGISTRATION"


def test_brand_scenario_discover_fill_attach_submit_approve(client, server):
    types = client.describe_registration_type_definitions()["RegistrationTypeDefinitions"]
    assert BRAND in [t["RegistrationType"] for t in types]
    created = client.create_registration(RegistrationType=BRAND, Tags=[{"Key": "team", "Value": "growth"}])
    registration_id = created["RegistrationId"]
    assert (created["RegistrationStatus"], created["CurrentVersionNumber"]) == ("CREATED", 1)
    filled = fill(client, registration_id, BRAND)
    assert "companyInfo.companyName" in filled and "contactInfo.vertical" in filled
    submitted_version = client.submit_registration_version(RegistrationId=registration_id)
    assert submitted_version["RegistrationVersionStatus"] == "SUBMITTED"
    assert submitted_version["AwsReview"] is False
    assert client.describe_registrations(RegistrationIds=[registration_id])["Registrations"][0]["RegistrationStatus"] == "SUBMITTED"

    answer = review(server, registration_id, "APPROVE")
    assert answer.status_code == 200, answer.text
    assert answer.json()["RegistrationStatus"] == "COMPLETE"
    info = client.describe_registrations(RegistrationIds=[registration_id])["Registrations"][0]
    assert (info["RegistrationStatus"], info["ApprovedVersionNumber"]) == ("COMPLETE", 1)
    version = client.describe_registration_versions(RegistrationId=registration_id)["RegistrationVersions"][0]
    assert version["RegistrationVersionStatus"] == "APPROVED"
    assert {"DraftTimestamp", "SubmittedTimestamp", "ApprovedTimestamp"} <= set(version["RegistrationVersionStatusHistory"])


def test_deny_requires_updates_with_reasons_then_resubmit_and_approve(client, server):
    registration_id = submitted(client, BRAND)
    answer = review(server, registration_id, "DENY", Reason="Tax ID does not match the company name",
                    FieldReasons={"companyInfo.taxId": "Unknown EIN"})
    assert answer.status_code == 200, answer.text
    info = client.describe_registrations(RegistrationIds=[registration_id])["Registrations"][0]
    assert (info["RegistrationStatus"], info["LatestDeniedVersionNumber"]) == ("REQUIRES_UPDATES", 1)
    version = client.describe_registration_versions(RegistrationId=registration_id)["RegistrationVersions"][0]
    assert version["RegistrationVersionStatus"] == "DENIED"
    assert version["DeniedReasons"][0]["Reason"] == "Tax ID does not match the company name"
    values = client.describe_registration_field_values(RegistrationId=registration_id, FieldPaths=["companyInfo.taxId"])
    assert values["RegistrationFieldValues"][0]["DeniedReason"] == "Unknown EIN"

    second = client.create_registration_version(RegistrationId=registration_id)
    assert (second["VersionNumber"], second["RegistrationVersionStatus"]) == (2, "DRAFT")
    client.put_registration_field_value(RegistrationId=registration_id, FieldPath="companyInfo.taxId", TextValue="987654321")
    client.submit_registration_version(RegistrationId=registration_id)
    assert review(server, registration_id, "APPROVE").status_code == 200
    info = client.describe_registrations(RegistrationIds=[registration_id])["Registrations"][0]
    assert (info["RegistrationStatus"], info["ApprovedVersionNumber"], info["CurrentVersionNumber"]) == ("COMPLETE", 2, 2)


def test_approving_a_newer_version_archives_the_previous_one(client, server):
    registration_id = approved(client, server, BRAND)
    client.create_registration_version(RegistrationId=registration_id)
    assert client.describe_registrations(RegistrationIds=[registration_id])["Registrations"][0]["RegistrationStatus"] == "COMPLETE"
    client.submit_registration_version(RegistrationId=registration_id)
    assert review(server, registration_id, "APPROVE").status_code == 200
    statuses = {v["VersionNumber"]: v["RegistrationVersionStatus"]
                for v in client.describe_registration_versions(RegistrationId=registration_id)["RegistrationVersions"]}
    assert statuses == {1: "ARCHIVED", 2: "APPROVED"}


def test_review_errors_are_aws_shaped(client, server, account_id):
    registration_id = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
    draft = review(server, registration_id, "APPROVE")
    assert draft.status_code == 400
    assert draft.json()["__type"] == "ConflictException" and draft.json()["ResourceId"] == registration_id
    unknown = review(server, "registration-" + "0" * 32, "APPROVE")
    assert unknown.json()["__type"] == "ResourceNotFoundException"
    bad = review(server, registration_id, "MAYBE")
    assert bad.json()["__type"] == "ValidationException" and bad.json()["Fields"][0]["Name"] == "Decision"
    arn = f"arn:aws:sms-voice:us-east-1:{account_id}:registration/{registration_id}"
    assert review(server, arn, "APPROVE").json()["__type"] == "ConflictException"


def test_aws_review_flag_moves_to_aws_reviewing(client, server):
    registration_id = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
    fill(client, registration_id, BRAND)
    answer = client.submit_registration_version(RegistrationId=registration_id, AwsReview=True)
    assert (answer["RegistrationVersionStatus"], answer["AwsReview"]) == ("AWS_REVIEWING", True)
    assert "AwsReviewingTimestamp" in answer["RegistrationVersionStatusHistory"]
    assert client.describe_registrations(RegistrationIds=[registration_id])["Registrations"][0]["RegistrationStatus"] == "AWS_REVIEWING"
    assert review(server, registration_id, "APPROVE").status_code == 200


def test_edits_refused_once_submitted(client, server):
    registration_id = submitted(client, BRAND)
    with pytest.raises(ClientError) as excinfo:
        client.put_registration_field_value(RegistrationId=registration_id, FieldPath="companyInfo.city", TextValue="Leeds")
    assert error_of(excinfo).items() >= {"Code": "ConflictException", "Reason": "EDIT_REGISTRATION_FIELD_VALUES_NOT_ALLOWED",
                                         "ResourceType": "registration", "ResourceId": registration_id}.items()
    with pytest.raises(ClientError) as excinfo:
        client.delete_registration_field_value(RegistrationId=registration_id, FieldPath="companyInfo.city")
    assert error_of(excinfo)["Reason"] == "EDIT_REGISTRATION_FIELD_VALUES_NOT_ALLOWED"
    assert review(server, registration_id, "APPROVE").status_code == 200
    with pytest.raises(ClientError) as excinfo:
        client.put_registration_field_value(RegistrationId=registration_id, FieldPath="companyInfo.city", TextValue="Leeds")
    assert error_of(excinfo)["Reason"] == "EDIT_REGISTRATION_FIELD_VALUES_NOT_ALLOWED"


def test_sender_id_registration_creates_a_registered_sender_id_on_approval(client, server):
    registration_id = client.create_registration(RegistrationType="AU_SENDER_ID_REGISTRATION")["RegistrationId"]
    fill(client, registration_id, "AU_SENDER_ID_REGISTRATION")
    client.put_registration_field_value(RegistrationId=registration_id, FieldPath="senderIdInfo.senderId", TextValue="ACMEAU")
    client.submit_registration_version(RegistrationId=registration_id)
    assert client.describe_sender_ids(Filters=[{"Name": "sender-id", "Values": ["ACMEAU"]}])["SenderIds"] == []
    assert review(server, registration_id, "APPROVE").status_code == 200
    sender = client.describe_sender_ids(SenderIds=[{"SenderId": "ACMEAU", "IsoCountryCode": "AU"}])["SenderIds"][0]
    assert (sender["Registered"], sender["RegistrationId"]) == (True, registration_id)
    associations = client.list_registration_associations(RegistrationId=registration_id)["RegistrationAssociations"]
    assert [(a["ResourceType"], a["ResourceId"], a["IsoCountryCode"]) for a in associations] == [("sender-id", "ACMEAU/AU", "AU")]


def test_attachment_png_is_accepted_as_field_value(client):
    registration_id = client.create_registration(RegistrationType="US_TOLL_FREE_REGISTRATION")["RegistrationId"]
    attachment_id = client.create_registration_attachment(AttachmentBody=PNG)["RegistrationAttachmentId"]
    put = client.put_registration_field_value(RegistrationId=registration_id, FieldPath="messagingUseCase.optInImage",
                                              RegistrationAttachmentId=attachment_id)
    assert put["RegistrationAttachmentId"] == attachment_id


def test_review_rejects_malformed_bodies(client, server):
    registration_id = submitted(client, BRAND)
    bad = review(server, registration_id, "DENY", FieldReasons=["not", "a", "map"])
    assert bad.status_code == 400 and bad.json()["__type"] == "ValidationException"
    import requests

    garbage = requests.post(f"{server.url}/_pigeon/registrations/{registration_id}/review", data=b"{nope", timeout=10)
    assert garbage.status_code == 400 and garbage.json()["Reason"] == "CANNOT_PARSE"
    assert client.describe_registrations(RegistrationIds=[registration_id])["Registrations"][0]["RegistrationStatus"] == "SUBMITTED"


def test_releasing_the_registered_sender_id_closes_the_registration(client, server):
    registration_id = client.create_registration(RegistrationType="AU_SENDER_ID_REGISTRATION")["RegistrationId"]
    fill(client, registration_id, "AU_SENDER_ID_REGISTRATION")
    client.put_registration_field_value(RegistrationId=registration_id, FieldPath="senderIdInfo.senderId", TextValue="GONEAU")
    client.submit_registration_version(RegistrationId=registration_id)
    assert review(server, registration_id, "APPROVE").status_code == 200
    client.release_sender_id(SenderId="GONEAU", IsoCountryCode="AU")
    info = client.describe_registrations(RegistrationIds=[registration_id])["Registrations"][0]
    assert info["RegistrationStatus"] == "CLOSED"
    assert client.list_registration_associations(RegistrationId=registration_id)["RegistrationAssociations"] == []
    with pytest.raises(ClientError) as excinfo:
        client.create_registration_version(RegistrationId=registration_id)
    assert error_of(excinfo)["Reason"] == "CREATE_REGISTRATION_VERSION_NOT_ALLOWED"
    assert client.delete_registration(RegistrationId=registration_id)["RegistrationStatus"] == "DELETED"
