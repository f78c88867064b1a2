"""State lives in the database: create, stop, start, describe — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.conftest import BACKENDS, make_client, new_account_id
from tests.support.server import PigeonServer


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kill", [False, True], ids=["sigterm", "sigkill"])
def test_everything_survives_a_restart(database_factory, backend, kill):
    server = PigeonServer(database_factory(backend)).start()
    try:
        account = new_account_id()
        client = make_client(server, account)
        client.create_configuration_set(ConfigurationSetName="durable", Tags=[{"Key": "k", "Value": "v"}])
        client.create_event_destination(ConfigurationSetName="durable", EventDestinationName="sns", MatchingEventTypes=["ALL"],
                                        SnsDestination={"TopicArn": "arn:aws:sns:us-east-1:111122223333:t"})
        client.set_text_message_spend_limit_override(MonthlyLimit=7)
        for index in range(3):
            client.create_configuration_set(ConfigurationSetName=f"page{index}")
        token = client.describe_configuration_sets(MaxResults=2)["NextToken"]
        server.stop(kill=kill)
        server.start()
        client = make_client(server, account)
        described = client.describe_configuration_sets(ConfigurationSetNames=["durable"])["ConfigurationSets"][0]
        assert described["EventDestinations"][0]["EventDestinationName"] == "sns"
        assert client.list_tags_for_resource(ResourceArn=described["ConfigurationSetArn"])["Tags"] == [{"Key": "k", "Value": "v"}]
        limits = {limit["Name"]: limit for limit in client.describe_spend_limits()["SpendLimits"]}
        assert limits["TEXT_MESSAGE_MONTHLY_SPEND_LIMIT"]["EnforcedLimit"] == 7
        rest = client.describe_configuration_sets(MaxResults=2, NextToken=token)["ConfigurationSets"]
        assert [c["ConfigurationSetName"] for c in rest] == ["page1", "page2"]  # tokens outlive the process
    finally:
        server.stop()
