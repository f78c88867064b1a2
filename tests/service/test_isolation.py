"""Accounts and regions never see each other's resources; the account comes from the access key."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.conftest import make_client, new_account_id
from tests.support.errors import error_of


def test_twelve_digit_key_is_the_account(client, account_id):
    arn = client.create_configuration_set(ConfigurationSetName="mine")["ConfigurationSetArn"]
    assert arn == f"arn:aws:sms-voice:us-east-1:{account_id}:configuration-set/mine"


def test_other_keys_share_the_default_account(server):
    name = "shared-" + new_account_id()
    first = make_client(server, "AKIAFIRSTKEY")
    second = make_client(server, "ANOTHERKEY")
    arn = first.create_configuration_set(ConfigurationSetName=name)["ConfigurationSetArn"]
    assert ":000000000000:" in arn
    assert second.describe_configuration_sets(ConfigurationSetNames=[name])["ConfigurationSets"][0]["ConfigurationSetArn"] == arn


def test_key_that_merely_starts_with_twelve_digits_is_not_an_account(server):
    client = make_client(server, "1234567890123")
    name = "prefix-" + new_account_id()
    assert ":000000000000:" in client.create_configuration_set(ConfigurationSetName=name)["ConfigurationSetArn"]


def test_accounts_are_isolated(server, account_id):
    mine, theirs = make_client(server, account_id), make_client(server, new_account_id())
    arn = mine.create_configuration_set(ConfigurationSetName="private")["ConfigurationSetArn"]
    assert theirs.describe_configuration_sets()["ConfigurationSets"] == []
    for name in ("private", arn):
        with pytest.raises(ClientError) as excinfo:
            theirs.delete_configuration_set(ConfigurationSetName=name)
        assert error_of(excinfo)["Code"] == "ResourceNotFoundException"
    theirs.create_configuration_set(ConfigurationSetName="private")  # the same name is free in another account
    with pytest.raises(ClientError) as excinfo:
        theirs.list_tags_for_resource(ResourceArn=arn)
    assert error_of(excinfo)["Code"] == "ResourceNotFoundException"


def test_regions_are_isolated(server, account_id):
    east, west = make_client(server, account_id, "us-east-1"), make_client(server, account_id, "eu-west-1")
    east.create_configuration_set(ConfigurationSetName="regional")
    assert west.describe_configuration_sets()["ConfigurationSets"] == []
    assert west.create_configuration_set(ConfigurationSetName="regional")["ConfigurationSetArn"].startswith(
        "arn:aws:sms-voice:eu-west-1:")


def test_next_token_from_another_account_or_region_is_invalid(server, account_id):
    mine = make_client(server, account_id)
    for index in range(3):
        mine.create_configuration_set(ConfigurationSetName=f"t{index}")
    token = mine.describe_configuration_sets(MaxResults=1)["NextToken"]
    for other in (make_client(server, new_account_id()), make_client(server, account_id, "eu-west-1")):
        with pytest.raises(ClientError) as excinfo:
            other.describe_configuration_sets(NextToken=token)
        assert (error_of(excinfo)["Code"], error_of(excinfo)["Reason"]) == ("ValidationException", "INVALID_NEXT_TOKEN")
    with pytest.raises(ClientError) as excinfo:
        mine.describe_configuration_sets(NextToken=token[:-2] + ("00" if not token.endswith("00") else "11"))
    assert error_of(excinfo)["Reason"] == "INVALID_NEXT_TOKEN"
    with pytest.raises(ClientError) as excinfo:  # same account, other operation
        mine.describe_account_limits(NextToken=token)
    assert error_of(excinfo)["Reason"] == "INVALID_NEXT_TOKEN"
    with pytest.raises(ClientError) as excinfo:  # a non-ASCII MAC: refused like any other, not a 500
        mine.describe_configuration_sets(NextToken=token.rsplit(".", 1)[0] + ".\u00e9")
    assert error_of(excinfo)["Reason"] == "INVALID_NEXT_TOKEN"
