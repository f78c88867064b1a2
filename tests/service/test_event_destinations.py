"""Event destinations: create, update, delete, the one-kind rule, matching event types, the limit."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.support.errors import error_of

SNS = {"TopicArn": "arn:aws:sns:us-east-1:111122223333:events"}
FIREHOSE = {"IamRoleArn": "arn:aws:iam::111122223333:role/pigeon",
            "DeliveryStreamArn": "arn:aws:firehose:us-east-1:111122223333:deliverystream/events"}
LOGS = {"IamRoleArn": "arn:aws:iam::111122223333:role/pigeon",
        "LogGroupArn": "arn:aws:logs:us-east-1:111122223333:log-group:sms"}


@pytest.fixture
def config_set(client) -> str:
    client.create_configuration_set(ConfigurationSetName="events")
    return "events"


def test_create_each_kind_and_describe(client, config_set):
    for name, kind, destination in [("sns", "SnsDestination", SNS), ("firehose", "KinesisFirehoseDestination", FIREHOSE),
                                    ("logs", "CloudWatchLogsDestination", LOGS)]:
        created = client.create_event_destination(ConfigurationSetName=config_set, EventDestinationName=name,
                                                  MatchingEventTypes=["TEXT_ALL", "VOICE_COMPLETED"], **{kind: destination})
        assert created["EventDestination"] == {"EventDestinationName": name, "Enabled": True,
                                               "MatchingEventTypes": ["TEXT_ALL", "VOICE_COMPLETED"], kind: destination}
        assert created["ConfigurationSetName"] == config_set
    described = client.describe_configuration_sets(ConfigurationSetNames=[config_set])["ConfigurationSets"][0]
    assert [d["EventDestinationName"] for d in described["EventDestinations"]] == ["sns", "firehose", "logs"]
    filtered = client.describe_configuration_sets(Filters=[{"Name": "matching-event-types", "Values": ["VOICE_COMPLETED"]}])
    assert [c["ConfigurationSetName"] for c in filtered["ConfigurationSets"]] == [config_set]


def test_create_needs_exactly_one_destination(client, config_set):
    with pytest.raises(ClientError) as excinfo:
        client.create_event_destination(ConfigurationSetName=config_set, EventDestinationName="none",
                                        MatchingEventTypes=["ALL"])
    assert (error_of(excinfo)["Code"], error_of(excinfo)["Reason"]) == ("ValidationException", "MISSING_PARAMETER")
    with pytest.raises(ClientError) as excinfo:
        client.create_event_destination(ConfigurationSetName=config_set, EventDestinationName="two",
                                        MatchingEventTypes=["ALL"], SnsDestination=SNS, CloudWatchLogsDestination=LOGS)
    assert error_of(excinfo)["Reason"] == "PARAMETERS_CANNOT_BE_USED_TOGETHER"
    assert {f["Name"] for f in error_of(excinfo)["Fields"]} == {"SnsDestination", "CloudWatchLogsDestination"}


def test_duplicate_name_and_unknown_set(client, config_set):
    client.create_event_destination(ConfigurationSetName=config_set, EventDestinationName="d", MatchingEventTypes=["ALL"], SnsDestination=SNS)
    with pytest.raises(ClientError) as excinfo:
        client.create_event_destination(ConfigurationSetName=config_set, EventDestinationName="d", MatchingEventTypes=["ALL"], SnsDestination=SNS)
    assert error_of(excinfo).items() >= {"Code": "ConflictException", "Reason": "RESOURCE_ALREADY_EXISTS",
                                         "ResourceType": "event-destination", "ResourceId": "d"}.items()
    with pytest.raises(ClientError) as excinfo:
        client.create_event_destination(ConfigurationSetName="nope", EventDestinationName="d", MatchingEventTypes=["ALL"], SnsDestination=SNS)
    assert error_of(excinfo).items() >= {"Code": "ResourceNotFoundException", "ResourceType": "configuration-set"}.items()


def test_invalid_event_type_and_arn_are_validation_errors(client, config_set):
    with pytest.raises(ClientError) as excinfo:
        client.create_event_destination(ConfigurationSetName=config_set, EventDestinationName="d",
                                        MatchingEventTypes=["TEXT_EXPLODED"], SnsDestination=SNS)
    assert error_of(excinfo)["Fields"][0]["Name"] == "MatchingEventTypes[0]"


def test_update_enabled_types_and_same_kind(client, config_set):
    client.create_event_destination(ConfigurationSetName=config_set, EventDestinationName="d", MatchingEventTypes=["ALL"], SnsDestination=SNS)
    new_topic = {"TopicArn": "arn:aws:sns:us-east-1:111122223333:other"}
    updated = client.update_event_destination(ConfigurationSetName=config_set, EventDestinationName="d", Enabled=False,
                                              MatchingEventTypes=["TEXT_DELIVERED"], SnsDestination=new_topic)["EventDestination"]
    assert updated == {"EventDestinationName": "d", "Enabled": False, "MatchingEventTypes": ["TEXT_DELIVERED"], "SnsDestination": new_topic}
    with pytest.raises(ClientError) as excinfo:
        client.update_event_destination(ConfigurationSetName=config_set, EventDestinationName="d", CloudWatchLogsDestination=LOGS)
    assert (error_of(excinfo)["Code"], error_of(excinfo)["Reason"]) == ("ConflictException", "EVENT_DESTINATION_MISMATCH")
    with pytest.raises(ClientError) as excinfo:
        client.update_event_destination(ConfigurationSetName=config_set, EventDestinationName="missing", Enabled=True)
    assert error_of(excinfo).items() >= {"Code": "ResourceNotFoundException", "ResourceType": "event-destination", "ResourceId": "missing"}.items()


def test_delete_returns_it_and_frees_the_name(client, config_set):
    client.create_event_destination(ConfigurationSetName=config_set, EventDestinationName="d", MatchingEventTypes=["ALL"], SnsDestination=SNS)
    deleted = client.delete_event_destination(ConfigurationSetName=config_set, EventDestinationName="d")
    assert deleted["EventDestination"]["SnsDestination"] == SNS
    with pytest.raises(ClientError) as excinfo:
        client.delete_event_destination(ConfigurationSetName=config_set, EventDestinationName="d")
    assert error_of(excinfo)["Code"] == "ResourceNotFoundException"
    client.create_event_destination(ConfigurationSetName=config_set, EventDestinationName="d", MatchingEventTypes=["ALL"], SnsDestination=SNS)


def test_event_destinations_per_configuration_set_limit(client, config_set):
    for index in range(5):
        client.create_event_destination(ConfigurationSetName=config_set, EventDestinationName=f"d{index}",
                                        MatchingEventTypes=["ALL"], SnsDestination=SNS)
    with pytest.raises(ClientError) as excinfo:
        client.create_event_destination(ConfigurationSetName=config_set, EventDestinationName="d5",
                                        MatchingEventTypes=["ALL"], SnsDestination=SNS)
    assert (error_of(excinfo)["Code"], error_of(excinfo)["Reason"]) == (
        "ServiceQuotaExceededException", "EVENT_DESTINATIONS_PER_CONFIGURATION_SET")
