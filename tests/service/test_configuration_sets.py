"""Configuration sets through boto3 against a real server (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.support.errors import error_of


def test_create_returns_arn_name_tags_and_timestamp(client, account_id):
    created = client.create_configuration_set(ConfigurationSetName="alerts", Tags=[{"Key": "team", "Value": "ops"}])
    assert created["ConfigurationSetArn"] == f"arn:aws:sms-voice:us-east-1:{account_id}:configuration-set/alerts"
    assert created["ConfigurationSetName"] == "alerts"
    assert created["Tags"] == [{"Key": "team", "Value": "ops"}]
    assert created["CreatedTimestamp"].year >= 2024


def test_create_refuses_duplicate_name(client):
    client.create_configuration_set(ConfigurationSetName="dup")
    with pytest.raises(ClientError) as excinfo:
        client.create_configuration_set(ConfigurationSetName="dup")
    assert error_of(excinfo).items() >= {"Code": "ConflictException", "Reason": "RESOURCE_ALREADY_EXISTS",
                                     "ResourceType": "configuration-set", "ResourceId": "dup", "Status": 400}.items()


def test_describe_by_name_and_arn_and_unknown(client):
    arn = client.create_configuration_set(ConfigurationSetName="one")["ConfigurationSetArn"]
    client.create_configuration_set(ConfigurationSetName="two")
    by_name = client.describe_configuration_sets(ConfigurationSetNames=["two", arn])["ConfigurationSets"]
    assert [c["ConfigurationSetName"] for c in by_name] == ["one", "two"]
    with pytest.raises(ClientError) as excinfo:
        client.describe_configuration_sets(ConfigurationSetNames=["missing"])
    assert error_of(excinfo)["Code"] == "ResourceNotFoundException"
    assert error_of(excinfo)["ResourceType"] == "configuration-set"
    assert error_of(excinfo)["ResourceId"] == "missing"


def test_defaults_set_and_delete(client):
    client.create_configuration_set(ConfigurationSetName="defaults")
    assert client.set_default_sender_id(ConfigurationSetName="defaults", SenderId="PIGEON")["SenderId"] == "PIGEON"
    assert client.set_default_message_type(ConfigurationSetName="defaults", MessageType="PROMOTIONAL")["MessageType"] == "PROMOTIONAL"
    assert client.set_default_message_feedback_enabled(ConfigurationSetName="defaults", MessageFeedbackEnabled=True)["MessageFeedbackEnabled"] is True
    info = client.describe_configuration_sets(ConfigurationSetNames=["defaults"])["ConfigurationSets"][0]
    assert (info["DefaultSenderId"], info["DefaultMessageType"], info["DefaultMessageFeedbackEnabled"]) == ("PIGEON", "PROMOTIONAL", True)
    assert client.delete_default_sender_id(ConfigurationSetName="defaults")["SenderId"] == "PIGEON"
    assert client.delete_default_message_type(ConfigurationSetName="defaults")["MessageType"] == "PROMOTIONAL"
    info = client.describe_configuration_sets(ConfigurationSetNames=["defaults"])["ConfigurationSets"][0]
    assert "DefaultSenderId" not in info and "DefaultMessageType" not in info


def test_filters_and_together_or_within(client):
    for name, message_type in [("f1", "PROMOTIONAL"), ("f2", "TRANSACTIONAL"), ("f3", "PROMOTIONAL")]:
        client.create_configuration_set(ConfigurationSetName=name)
        client.set_default_message_type(ConfigurationSetName=name, MessageType=message_type)
    client.set_default_sender_id(ConfigurationSetName="f3", SenderId="ACME")

    def names(filters):
        return [c["ConfigurationSetName"] for c in client.describe_configuration_sets(Filters=filters)["ConfigurationSets"]]

    assert names([{"Name": "default-message-type", "Values": ["PROMOTIONAL"]}]) == ["f1", "f3"]
    assert names([{"Name": "default-message-type", "Values": ["PROMOTIONAL", "TRANSACTIONAL"]}]) == ["f1", "f2", "f3"]
    assert names([{"Name": "default-message-type", "Values": ["PROMOTIONAL"]},
                  {"Name": "default-sender-id", "Values": ["ACME"]}]) == ["f3"]
    assert names([{"Name": "default-message-feedback-enabled", "Values": ["false"]}]) == ["f1", "f2", "f3"]


def test_unknown_filter_name_is_rejected(client):
    with pytest.raises(ClientError) as excinfo:
        client.describe_configuration_sets(Filters=[{"Name": "colour", "Values": ["blue"]}])
    assert error_of(excinfo)["Code"] == "ValidationException"
    assert error_of(excinfo)["Fields"][0]["Name"].startswith("Filters")


def test_pagination_walks_every_item_once(client):
    for index in range(7):
        client.create_configuration_set(ConfigurationSetName=f"page-{index}")
    seen, token = [], None
    while True:
        kwargs = {"MaxResults": 3, **({"NextToken": token} if token else {})}
        page = client.describe_configuration_sets(**kwargs)
        assert len(page["ConfigurationSets"]) <= 3
        seen += [c["ConfigurationSetName"] for c in page["ConfigurationSets"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [f"page-{index}" for index in range(7)]


def test_delete_returns_the_set_and_then_it_is_gone(client):
    client.create_configuration_set(ConfigurationSetName="gone")
    client.set_default_sender_id(ConfigurationSetName="gone", SenderId="BYE")
    deleted = client.delete_configuration_set(ConfigurationSetName="gone")
    assert deleted["ConfigurationSetName"] == "gone" and deleted["DefaultSenderId"] == "BYE"
    with pytest.raises(ClientError) as excinfo:
        client.delete_configuration_set(ConfigurationSetName="gone")
    assert error_of(excinfo)["Code"] == "ResourceNotFoundException"


def test_name_pattern_is_validated(client):
    with pytest.raises(ClientError) as excinfo:
        client.create_configuration_set(ConfigurationSetName="bad name!")
    error = error_of(excinfo)
    assert (error["Code"], error["Reason"]) == ("ValidationException", "FIELD_VALIDATION_FAILED")
    assert error["Fields"][0]["Name"] == "ConfigurationSetName"


def test_quota_configuration_sets_per_account(server, account_id):
    from tests.conftest import make_client

    limited = make_client(server, account_id)
    limits = {limit["Name"]: limit for limit in limited.describe_account_limits()["AccountLimits"]}
    maximum = limits["CONFIGURATION_SETS"]["Max"]
    assert limits["CONFIGURATION_SETS"]["Used"] == 0
    for index in range(maximum):
        limited.create_configuration_set(ConfigurationSetName=f"q{index}")
    with pytest.raises(ClientError) as excinfo:
        limited.create_configuration_set(ConfigurationSetName="one-too-many")
    assert error_of(excinfo)["Code"] == "ServiceQuotaExceededException"
    assert error_of(excinfo)["Reason"] == "CONFIGURATION_SETS_PER_ACCOUNT"


@pytest.mark.parametrize("call,kwargs", [
    ("set_default_sender_id", {"SenderId": "ACME"}),
    ("delete_default_sender_id", {}),
    ("set_default_message_type", {"MessageType": "TRANSACTIONAL"}),
    ("delete_default_message_type", {}),
    ("set_default_message_feedback_enabled", {"MessageFeedbackEnabled": True}),
])
def test_defaults_on_a_missing_set_are_not_found(client, call, kwargs):
    with pytest.raises(ClientError) as excinfo:
        getattr(client, call)(ConfigurationSetName="nowhere", **kwargs)
    assert error_of(excinfo).items() >= {"Code": "ResourceNotFoundException", "ResourceType": "configuration-set",
                                         "ResourceId": "nowhere"}.items()


def test_deleting_an_unset_default_answers_without_a_value(client):
    client.create_configuration_set(ConfigurationSetName="bare")
    answer = client.delete_default_sender_id(ConfigurationSetName="bare")
    assert answer["ConfigurationSetName"] == "bare" and "SenderId" not in answer
    answer = client.delete_default_message_type(ConfigurationSetName="bare")
    assert "MessageType" not in answer


def test_malformed_arn_in_names_is_invalid_arn(client):
    with pytest.raises(ClientError) as excinfo:
        client.describe_configuration_sets(ConfigurationSetNames=["arn:aws:sms-voice:broken"])
    assert (error_of(excinfo)["Code"], error_of(excinfo)["Reason"]) == ("ValidationException", "INVALID_ARN")
