"""Filters with a closed set of values (a model enum, true/false) refuse any other value in every family, and
every filter violation names the filter by its index."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.support.errors import error_of

GOOD = {"Name": "message-type", "Values": ["TRANSACTIONAL"]}


@pytest.mark.parametrize("operation, name, value", [
    ("describe_configuration_sets", "default-message-type", "BOGUS"),
    ("describe_configuration_sets", "default-message-feedback-enabled", "TRUE"),
    ("describe_configuration_sets", "matching-event-types", "TEXT_NOPE"),
    ("describe_phone_numbers", "two-way-enabled", "yes"),
    ("describe_phone_numbers", "number-type", "LANDLINE"),
    ("describe_pools", "shared-routes-enabled", "1"),
    ("describe_sender_ids", "registered", "maybe"),
    ("describe_protect_configurations", "account-default", "True"),
    ("describe_verified_destination_numbers", "status", "DONE"),
    ("describe_registrations", "registration-status", "FINISHED"),
])
def test_a_value_outside_the_filters_set_is_refused_naming_it(client, operation, name, value):
    first = GOOD if operation in ("describe_phone_numbers", "describe_pools", "describe_sender_ids") else None
    given = [first, {"Name": name, "Values": [value]}] if first else [{"Name": name, "Values": [value]}]
    with pytest.raises(ClientError) as excinfo:
        getattr(client, operation)(Filters=given)
    error = error_of(excinfo)
    assert (error["Code"], error["Reason"]) == ("ValidationException", "INVALID_FILTER_VALUES")
    assert error["Fields"] == [{"Name": f"Filters[{len(given) - 1}].Values[0]", "Message": f"Invalid value {value}"}]


def test_an_unknown_filter_name_is_named_by_its_index(client):
    with pytest.raises(ClientError) as excinfo:
        client.describe_configuration_sets(Filters=[{"Name": "default-sender-id", "Values": ["A"]},
                                                    {"Name": "colour", "Values": ["blue"]}])
    error = error_of(excinfo)  # the model's enum of names: the protocol validator answers first
    assert (error["Reason"], [field["Name"] for field in error["Fields"]]) == ("FIELD_VALIDATION_FAILED", ["Filters[1].Name"])


def test_allowed_values_still_select(client):
    client.create_configuration_set(ConfigurationSetName="quiet")
    client.set_default_message_type(ConfigurationSetName="quiet", MessageType="PROMOTIONAL")
    found = client.describe_configuration_sets(Filters=[
        {"Name": "default-message-type", "Values": ["PROMOTIONAL"]},
        {"Name": "default-message-feedback-enabled", "Values": ["false"]}])["ConfigurationSets"]
    assert [entry["ConfigurationSetName"] for entry in found] == ["quiet"]
    assert client.describe_configuration_sets(Filters=[
        {"Name": "default-message-type", "Values": ["TRANSACTIONAL"]}])["ConfigurationSets"] == []
