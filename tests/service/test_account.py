"""DescribeAccountAttributes, DescribeAccountLimits, the account tier through the inspection API."""

from __future__ import annotations

import pytest
import requests
from botocore.exceptions import ClientError

from tests.conftest import make_client
from tests.support.errors import error_of


def attributes(client) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in client.describe_account_attributes()["AccountAttributes"]}


def test_new_account_is_in_the_default_tier(client):
    assert attributes(client) == {"ACCOUNT_TIER": "PRODUCTION"}


def test_tier_set_through_inspection_api(server, client, account_id):
    response = requests.put(f"{server.url}/_pigeon/accounts/{account_id}", json={"AccountTier": "SANDBOX"}, timeout=5)
    assert response.json() == {"AccountId": account_id, "AccountTier": "SANDBOX"}
    assert attributes(client)["ACCOUNT_TIER"] == "SANDBOX"
    limits = {limit["Name"]: limit for limit in client.describe_spend_limits()["SpendLimits"]}
    assert limits["TEXT_MESSAGE_MONTHLY_SPEND_LIMIT"]["EnforcedLimit"] == 1
    assert attributes(make_client(server, account_id, "eu-central-1"))["ACCOUNT_TIER"] == "SANDBOX"


@pytest.mark.parametrize("path,body", [("/_pigeon/accounts/123", {"AccountTier": "SANDBOX"}),
                                       ("/_pigeon/accounts/111122223333", {"AccountTier": "GOLD"}),
                                       ("/_pigeon/accounts/111122223333", None)])
def test_tier_api_rejects_bad_input_with_aws_shaped_errors(server, path, body):
    response = requests.put(server.url + path, json=body, timeout=5) if body is not None else \
        requests.put(server.url + path, data=b"{oops", timeout=5)
    assert response.status_code == 400
    assert response.json()["__type"] == "ValidationException"


def test_limits_report_real_usage(client):
    client.create_configuration_set(ConfigurationSetName="a")
    client.create_configuration_set(ConfigurationSetName="b")
    limits = {limit["Name"]: limit for limit in client.describe_account_limits()["AccountLimits"]}
    assert set(limits) == {"PHONE_NUMBERS", "POOLS", "CONFIGURATION_SETS", "OPT_OUT_LISTS", "SENDER_IDS",
                           "REGISTRATIONS", "REGISTRATION_ATTACHMENTS", "VERIFIED_DESTINATION_NUMBERS"}
    assert limits["CONFIGURATION_SETS"]["Used"] == 2
    assert limits["VERIFIED_DESTINATION_NUMBERS"]["Max"] == 10
    client.delete_configuration_set(ConfigurationSetName="a")
    limits = {limit["Name"]: limit for limit in client.describe_account_limits()["AccountLimits"]}
    assert limits["CONFIGURATION_SETS"]["Used"] == 1


def test_limits_paginate(client):
    first = client.describe_account_limits(MaxResults=5)
    second = client.describe_account_limits(MaxResults=5, NextToken=first["NextToken"])
    assert len(first["AccountLimits"]) == 5 and len(second["AccountLimits"]) == 3
    assert "NextToken" not in second
    with pytest.raises(ClientError) as excinfo:
        client.describe_account_limits(MaxResults=101)
    assert error_of(excinfo)["Code"] == "ValidationException"
