"""Sender IDs through boto3 against a real server (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.support.errors import error_of


def error(call, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


def test_request_returns_arn_and_defaults(client, account_id):
    made = client.request_sender_id(SenderId="PIGEON", IsoCountryCode="GB", MessageTypes=["TRANSACTIONAL"],
                                    Tags=[{"Key": "k", "Value": "v"}])
    assert made["SenderIdArn"] == f"arn:aws:sms-voice:us-east-1:{account_id}:sender-id/PIGEON/GB"
    assert (made["SenderId"], made["IsoCountryCode"], made["MessageTypes"]) == ("PIGEON", "GB", ["TRANSACTIONAL"])
    assert (made["Registered"], made["DeletionProtectionEnabled"], made["MonthlyLeasingPrice"]) == (False, False, "0.00")
    assert made["Tags"] == [{"Key": "k", "Value": "v"}]
    assert client.list_tags_for_resource(ResourceArn=made["SenderIdArn"])["Tags"] == [{"Key": "k", "Value": "v"}]


def test_request_refuses_countries_without_sender_ids_and_those_needing_registration(client):
    for iso in ("US", "CA", "CN"):
        found = error(client.request_sender_id, SenderId="PIGEON", IsoCountryCode=iso)
        assert (found["Code"], found["Reason"]) == ("ValidationException", "SENDER_ID_NOT_SUPPORTED")
    found = error(client.request_sender_id, SenderId="PIGEON", IsoCountryCode="IN")
    assert (found["Code"], found["Reason"]) == ("ValidationException", "SENDER_ID_REQUIRES_REGISTRATION")
    found = error(client.request_sender_id, SenderId="PIGEON", IsoCountryCode="XX")
    assert (found["Code"], found["Reason"], found["Fields"][0]["Name"]) == (
        "ValidationException", "INVALID_PARAMETER", "IsoCountryCode")


def test_request_refuses_bad_format_and_duplicates(client):
    for bad in ("TOOLONGSENDER", "12345"):
        found = error(client.request_sender_id, SenderId=bad, IsoCountryCode="GB")
        assert (found["Code"], found["Fields"][0]["Name"]) == ("ValidationException", "SenderId")
    client.request_sender_id(SenderId="DUP", IsoCountryCode="GB")
    found = error(client.request_sender_id, SenderId="DUP", IsoCountryCode="GB")
    assert found.items() >= {"Code": "ConflictException", "Reason": "RESOURCE_ALREADY_EXISTS",
                             "ResourceType": "sender-id", "ResourceId": "DUP/GB"}.items()
    assert client.request_sender_id(SenderId="DUP", IsoCountryCode="DE")["SenderId"] == "DUP"


def test_describe_by_pair_filters_and_pagination(client):
    client.request_sender_id(SenderId="ONE", IsoCountryCode="GB", MessageTypes=["PROMOTIONAL"])
    client.request_sender_id(SenderId="TWO", IsoCountryCode="DE", DeletionProtectionEnabled=True)
    client.request_sender_id(SenderId="THREE", IsoCountryCode="FR")
    found = client.describe_sender_ids(SenderIds=[{"SenderId": "TWO", "IsoCountryCode": "DE"}])["SenderIds"]
    assert [s["SenderId"] for s in found] == ["TWO"]

    def names(filters):
        return [s["SenderId"] for s in client.describe_sender_ids(Filters=filters)["SenderIds"]]

    assert names([{"Name": "iso-country-code", "Values": ["GB", "FR"]}]) == ["ONE", "THREE"]
    assert names([{"Name": "message-type", "Values": ["PROMOTIONAL"]}]) == ["ONE"]
    assert names([{"Name": "deletion-protection-enabled", "Values": ["true"]}]) == ["TWO"]
    assert names([{"Name": "registered", "Values": ["false"]}, {"Name": "sender-id", "Values": ["THREE"]}]) == ["THREE"]
    page = client.describe_sender_ids(MaxResults=2)
    rest = client.describe_sender_ids(MaxResults=2, NextToken=page["NextToken"])
    assert [s["SenderId"] for s in page["SenderIds"] + rest["SenderIds"]] == ["ONE", "TWO", "THREE"]
    missing = error(client.describe_sender_ids, SenderIds=[{"SenderId": "ONE", "IsoCountryCode": "DE"}])
    assert missing.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "sender-id",
                               "ResourceId": "ONE/DE"}.items()


def test_update_and_release_with_deletion_protection(client):
    client.request_sender_id(SenderId="KEEP", IsoCountryCode="GB", DeletionProtectionEnabled=True)
    found = error(client.release_sender_id, SenderId="KEEP", IsoCountryCode="GB")
    assert found.items() >= {"Code": "ConflictException", "Reason": "DELETION_PROTECTION_ENABLED",
                             "ResourceType": "sender-id", "ResourceId": "KEEP/GB"}.items()
    updated = client.update_sender_id(SenderId="KEEP", IsoCountryCode="GB", DeletionProtectionEnabled=False)
    assert updated["DeletionProtectionEnabled"] is False
    released = client.release_sender_id(SenderId="KEEP", IsoCountryCode="GB")
    assert (released["SenderId"], released["IsoCountryCode"]) == ("KEEP", "GB")
    assert client.describe_sender_ids()["SenderIds"] == []
    gone = error(client.release_sender_id, SenderId="KEEP", IsoCountryCode="GB")
    assert gone["Code"] == "ResourceNotFoundException"


def test_release_refuses_sender_id_in_a_pool(client):
    made = client.request_sender_id(SenderId="POOLED", IsoCountryCode="GB")
    client.create_pool(OriginationIdentity=made["SenderIdArn"], IsoCountryCode="GB", MessageType="TRANSACTIONAL")
    found = error(client.release_sender_id, SenderId="POOLED", IsoCountryCode="GB")
    assert found.items() >= {"Code": "ConflictException", "Reason": "SENDER_ID_ASSOCIATED_TO_POOL",
                             "ResourceType": "sender-id", "ResourceId": "POOLED/GB"}.items()


def test_unknown_sender_id_arn_is_not_found_under_the_arn_as_given(client, account_id):
    arn = f"arn:aws:sms-voice:us-east-1:{account_id}:sender-id/GONE/GB"
    found = error(client.release_sender_id, SenderId=arn, IsoCountryCode="GB")
    assert found.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "sender-id",
                             "ResourceId": arn}.items()
