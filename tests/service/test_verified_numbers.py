"""Verified destination numbers through boto3 against a real server (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.conftest import make_client, new_account_id
from tests.support.errors import error_of

DAY = 24 * 3600


def _error(call, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


def test_create_is_pending_with_arn_and_tags(client, account_id):
    created = client.create_verified_destination_number(DestinationPhoneNumber="+14255550111",
                                                        Tags=[{"Key": "who", "Value": "qa"}])
    verified_id = created["VerifiedDestinationNumberId"]
    assert verified_id.startswith("verified-") and len(verified_id) == len("verified-") + 32
    assert created["VerifiedDestinationNumberArn"] == (
        f"arn:aws:sms-voice:us-east-1:{account_id}:verified-destination-number/{verified_id}")
    assert created["Status"] == "PENDING" and created["DestinationPhoneNumber"] == "+14255550111"
    assert created["Tags"] == [{"Key": "who", "Value": "qa"}]
    assert created["CreatedTimestamp"].year >= 2024
    assert client.list_tags_for_resource(ResourceArn=created["VerifiedDestinationNumberArn"])["Tags"] == [
        {"Key": "who", "Value": "qa"}]


def test_number_without_plus_is_stored_in_e164_and_duplicates_conflict(client):
    created = client.create_verified_destination_number(DestinationPhoneNumber="447700900111")
    assert created["DestinationPhoneNumber"] == "+447700900111"
    error = _error(client.create_verified_destination_number, DestinationPhoneNumber="+447700900111")
    assert error.items() >= {"Code": "ConflictException", "Reason": "RESOURCE_ALREADY_EXISTS",
                             "ResourceType": "verified-destination-number", "ResourceId": "+447700900111"}.items()


def test_impossible_number_is_invalid(client):
    error = _error(client.create_verified_destination_number, DestinationPhoneNumber="+999")
    assert error["Code"] == "ValidationException" and error["Fields"][0]["Name"] == "DestinationPhoneNumber"


def test_at_most_ten_per_account(client):
    for index in range(10):
        client.create_verified_destination_number(DestinationPhoneNumber=f"+1425555{index:04d}")
    error = _error(client.create_verified_destination_number, DestinationPhoneNumber="+14255559999")
    assert error.items() >= {"Code": "ServiceQuotaExceededException",
                             "Reason": "VERIFIED_DESTINATION_NUMBERS_PER_ACCOUNT"}.items()
    limits = {limit["Name"]: limit for limit in client.describe_account_limits()["AccountLimits"]}
    assert limits["VERIFIED_DESTINATION_NUMBERS"]["Used"] == 10
    assert limits["VERIFIED_DESTINATION_NUMBERS"]["Max"] == 10


def test_describe_by_ids_numbers_filters_and_pages(client):
    created = [client.create_verified_destination_number(DestinationPhoneNumber=f"+1206555{index:04d}")
               for index in range(5)]
    ids = [c["VerifiedDestinationNumberId"] for c in created]

    def described(**kwargs):
        return [v["VerifiedDestinationNumberId"] for v in
                client.describe_verified_destination_numbers(**kwargs)["VerifiedDestinationNumbers"]]

    assert described() == ids
    assert described(VerifiedDestinationNumberIds=[created[3]["VerifiedDestinationNumberArn"], ids[1]]) == [
        ids[1], ids[3]]
    assert described(DestinationPhoneNumbers=["+12065550004", "12065550000"]) == [ids[0], ids[4]]
    assert described(VerifiedDestinationNumberIds=[ids[0], ids[1]], DestinationPhoneNumbers=["+12065550001"]) == [ids[1]]
    assert described(Filters=[{"Name": "status", "Values": ["PENDING"]}]) == ids
    assert described(Filters=[{"Name": "status", "Values": ["VERIFIED"]}]) == []
    first = client.describe_verified_destination_numbers(MaxResults=2)
    second = client.describe_verified_destination_numbers(MaxResults=2, NextToken=first["NextToken"])
    third = client.describe_verified_destination_numbers(MaxResults=2, NextToken=second["NextToken"])
    assert [v["VerifiedDestinationNumberId"] for page in (first, second, third)
            for v in page["VerifiedDestinationNumbers"]] == ids
    assert "NextToken" not in third


def test_describe_errors(client):
    client.create_verified_destination_number(DestinationPhoneNumber="+12065550100")
    error = _error(client.describe_verified_destination_numbers, VerifiedDestinationNumberIds=["verified-missing"])
    assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "verified-destination-number",
                             "ResourceId": "verified-missing"}.items()
    error = _error(client.describe_verified_destination_numbers, DestinationPhoneNumbers=["+12065550199"])
    assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceId": "+12065550199"}.items()
    error = _error(client.describe_verified_destination_numbers, Filters=[{"Name": "status", "Values": ["LOST"]}])
    assert error.items() >= {"Code": "ValidationException", "Reason": "INVALID_FILTER_VALUES"}.items()


def test_delete_only_a_day_after_it_was_added(client, server):
    created = client.create_verified_destination_number(DestinationPhoneNumber="+12065550123")
    verified_id = created["VerifiedDestinationNumberId"]
    error = _error(client.delete_verified_destination_number, VerifiedDestinationNumberId=verified_id)
    assert error.items() >= {"Code": "ConflictException", "Reason": "RESOURCE_DELETION_NOT_ALLOWED",
                             "ResourceType": "verified-destination-number", "ResourceId": verified_id}.items()
    server.advance_clock(DAY)
    deleted = client.delete_verified_destination_number(VerifiedDestinationNumberId=created["VerifiedDestinationNumberArn"])
    assert deleted["VerifiedDestinationNumberId"] == verified_id
    assert deleted["DestinationPhoneNumber"] == "+12065550123"
    assert client.describe_verified_destination_numbers()["VerifiedDestinationNumbers"] == []
    error = _error(client.delete_verified_destination_number, VerifiedDestinationNumberId=verified_id)
    assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceId": verified_id}.items()
    again = client.create_verified_destination_number(DestinationPhoneNumber="+12065550123")
    assert again["VerifiedDestinationNumberId"] != verified_id


def test_unknown_rcs_agent_is_not_found(client):
    error = _error(client.create_verified_destination_number, DestinationPhoneNumber="+12065550123",
                   RcsAgentId="agent-missing")
    assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "rcs-agent",
                             "ResourceId": "agent-missing"}.items()


def test_numbers_are_private_to_their_account(client, server):
    created = client.create_verified_destination_number(DestinationPhoneNumber="+12065550123")
    stranger = make_client(server, new_account_id())
    assert stranger.describe_verified_destination_numbers()["VerifiedDestinationNumbers"] == []
    error = _error(stranger.delete_verified_destination_number,
                   VerifiedDestinationNumberId=created["VerifiedDestinationNumberArn"])
    assert error["Code"] == "ResourceNotFoundException"
    assert stranger.create_verified_destination_number(DestinationPhoneNumber="+12065550123")["Status"] == "PENDING"


def test_cli_creates_and_describes(aws_cli):
    aws_cli("create-verified-destination-number", "--destination-phone-number", "+12065550142")
    described = aws_cli("describe-verified-destination-numbers")
    assert [v["DestinationPhoneNumber"] for v in described["VerifiedDestinationNumbers"]] == ["+12065550142"]
