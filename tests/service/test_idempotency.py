"""ClientToken: the same token and request return the first result; a different request is refused."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.support.errors import error_of


def test_same_token_same_request_returns_the_first_result(client):
    first = client.create_configuration_set(ConfigurationSetName="once", ClientToken="token-1")
    again = client.create_configuration_set(ConfigurationSetName="once", ClientToken="token-1")
    assert again["ConfigurationSetArn"] == first["ConfigurationSetArn"]
    assert again["CreatedTimestamp"] == first["CreatedTimestamp"]
    assert len(client.describe_configuration_sets()["ConfigurationSets"]) == 1


def test_same_token_different_request_is_refused(client):
    client.create_configuration_set(ConfigurationSetName="first", ClientToken="token-2")
    with pytest.raises(ClientError) as excinfo:
        client.create_configuration_set(ConfigurationSetName="second", ClientToken="token-2")
    assert (error_of(excinfo)["Code"], error_of(excinfo)["Reason"]) == ("ValidationException", "INVALID_REQUEST")


def test_without_a_token_botocore_generates_one_per_call(client):
    client.create_configuration_set(ConfigurationSetName="auto")
    with pytest.raises(ClientError) as excinfo:
        client.create_configuration_set(ConfigurationSetName="auto")
    assert error_of(excinfo)["Reason"] == "RESOURCE_ALREADY_EXISTS"


def test_failed_request_does_not_consume_the_token(client):
    client.create_configuration_set(ConfigurationSetName="taken")
    with pytest.raises(ClientError):
        client.create_configuration_set(ConfigurationSetName="taken", ClientToken="token-3")
    client.delete_configuration_set(ConfigurationSetName="taken")
    assert client.create_configuration_set(ConfigurationSetName="taken", ClientToken="token-3")["ConfigurationSetName"] == "taken"
