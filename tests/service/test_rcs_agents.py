"""RCS agents and their country launch status through boto3 and the AWS CLI against a real server (SQLite and
PostgreSQL), the launches driven by the operator's inspection API."""

from __future__ import annotations

import pytest
import requests
from botocore.exceptions import ClientError

from tests.support.errors import error_of

CHANNEL = "arn:aws:sns:us-east-1:111122223333:inbound"
MISSING = "rcs-" + "0" * 32


def error(call, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


def review(server, agent_id, iso, **document):
    return requests.post(f"{server.url}/_pigeon/rcs-agents/{agent_id}/countries/{iso}/review", json=document,
                         timeout=10)


def test_create_describe_update_delete(client, account_id):
    client.create_opt_out_list(OptOutListName="rcs-list")
    made = client.create_rcs_agent(OptOutListName="rcs-list", Tags=[{"Key": "team", "Value": "a"}])
    agent_id = made["RcsAgentId"]
    assert agent_id.startswith("rcs-") and len(agent_id) == 36
    assert made["RcsAgentArn"] == f"arn:aws:sms-voice:us-east-1:{account_id}:rcs-agent/{agent_id}"
    assert (made["Status"], made["OptOutListName"], made["DeletionProtectionEnabled"], made["TwoWayEnabled"],
            made["SelfManagedOptOutsEnabled"], made["Tags"]) == (
        "CREATED", "rcs-list", False, False, False, [{"Key": "team", "Value": "a"}])
    tags = client.list_tags_for_resource(ResourceArn=made["RcsAgentArn"])["Tags"]
    assert tags == [{"Key": "team", "Value": "a"}]

    updated = client.update_rcs_agent(RcsAgentId=made["RcsAgentArn"], TwoWayEnabled=True, TwoWayChannelArn=CHANNEL,
                                      SelfManagedOptOutsEnabled=True, DeletionProtectionEnabled=True)
    assert (updated["TwoWayEnabled"], updated["TwoWayChannelArn"], updated["SelfManagedOptOutsEnabled"],
            updated["DeletionProtectionEnabled"]) == (True, CHANNEL, True, True)
    described = client.describe_rcs_agents(RcsAgentIds=[agent_id])["RcsAgents"]
    assert [a["RcsAgentId"] for a in described] == [agent_id] and described[0]["TwoWayEnabled"] is True

    protected = error(client.delete_rcs_agent, RcsAgentId=agent_id)
    assert protected.items() >= {"Code": "ConflictException", "Reason": "DELETION_PROTECTION_ENABLED",
                                 "ResourceType": "rcs-agent", "ResourceId": agent_id}.items()
    client.update_rcs_agent(RcsAgentId=agent_id, DeletionProtectionEnabled=False)
    deleted = client.delete_rcs_agent(RcsAgentId=agent_id)
    assert (deleted["RcsAgentId"], deleted["Status"]) == (agent_id, "DELETED")
    assert error(client.describe_rcs_agents, RcsAgentIds=[agent_id])["Code"] == "ResourceNotFoundException"


def test_validation_and_not_found(client, unchecked_client):
    missing_list = error(client.create_rcs_agent, OptOutListName="nope")
    assert missing_list.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "opt-out-list"}.items()
    for call in (client.delete_rcs_agent, client.update_rcs_agent, client.describe_rcs_agent_country_launch_status):
        found = error(call, RcsAgentId=MISSING)
        assert found.items() >= {"Code": "ResourceNotFoundException", "Status": 400, "ResourceType": "rcs-agent",
                                 "ResourceId": MISSING}.items()
    agent_id = client.create_rcs_agent()["RcsAgentId"]
    no_channel = error(client.update_rcs_agent, RcsAgentId=agent_id, TwoWayEnabled=True)
    assert (no_channel["Code"], no_channel["Reason"]) == ("ValidationException", "TWO_WAY_CHANNEL_NOT_PRESENT")
    bad_filter = error(client.describe_rcs_agents, Filters=[{"Name": "status", "Values": ["SLEEPING"]}])
    assert (bad_filter["Code"], bad_filter["Reason"]) == ("ValidationException", "INVALID_FILTER_VALUES")
    unnamed = error(unchecked_client.delete_rcs_agent, RcsAgentId="")
    assert unnamed["Code"] == "ValidationException"
    together = error(client.describe_rcs_agents, RcsAgentIds=[agent_id], Owner="SELF")
    assert together["Reason"] == "PARAMETERS_CANNOT_BE_USED_TOGETHER"
    foreign = error(client.delete_rcs_agent, RcsAgentId=f"arn:aws:sms-voice:us-east-1:999999999999:rcs-agent/{agent_id}")
    assert foreign["Code"] == "ResourceNotFoundException"


def test_filters_and_pagination(client):
    made = [client.create_rcs_agent(DeletionProtectionEnabled=index == 1)["RcsAgentId"] for index in range(3)]
    pages = list(client.get_paginator("describe_rcs_agents").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(page["RcsAgents"]) for page in pages] == [2, 1]
    assert [a["RcsAgentId"] for page in pages for a in page["RcsAgents"]] == made
    protected = client.describe_rcs_agents(Filters=[{"Name": "deletion-protection-enabled", "Values": ["true"]}])
    assert [a["RcsAgentId"] for a in protected["RcsAgents"]] == [made[1]]
    bad_token = error(client.describe_rcs_agents, NextToken="forged")
    assert bad_token["Reason"] == "INVALID_NEXT_TOKEN"


def test_country_launch_lifecycle_through_the_inspection_api(client, server):
    agent_id = client.create_rcs_agent()["RcsAgentId"]
    assert client.describe_rcs_agent_country_launch_status(RcsAgentId=agent_id)["CountryLaunchStatus"] == []

    submitted = review(server, agent_id, "US", Decision="SUBMIT", Carriers=["T-Mobile", "Verizon"])
    assert submitted.status_code == 200, submitted.text
    assert (submitted.json()["Status"], submitted.json()["RcsAgentStatus"]) == ("PENDING", "PENDING")
    assert review(server, agent_id, "GB", Decision="SUBMIT").status_code == 200
    assert client.describe_rcs_agents(RcsAgentIds=[agent_id])["RcsAgents"][0]["Status"] == "PENDING"

    partial = review(server, agent_id, "US", Decision="PARTIAL", ActiveCarriers=["Verizon"]).json()
    assert partial["CarrierStatus"] == [{"CarrierName": "T-Mobile", "Status": "PENDING"},
                                        {"CarrierName": "Verizon", "Status": "ACTIVE"}]
    assert partial["RcsAgentStatus"] == "PARTIAL"
    assert review(server, agent_id, "US", Decision="APPROVE").json()["Status"] == "ACTIVE"
    assert review(server, agent_id, "GB", Decision="REJECT").json()["RcsAgentStatus"] == "ACTIVE"

    launches = client.describe_rcs_agent_country_launch_status(RcsAgentId=agent_id)
    assert launches["RcsAgentId"] == agent_id
    by_country = {entry["IsoCountryCode"]: entry for entry in launches["CountryLaunchStatus"]}
    assert (by_country["US"]["Status"], by_country["GB"]["Status"]) == ("ACTIVE", "REJECTED")
    assert [c["Status"] for c in by_country["US"]["CarrierStatus"]] == ["ACTIVE", "ACTIVE"]
    assert by_country["US"]["RegistrationId"].startswith("registration-")
    only = client.describe_rcs_agent_country_launch_status(
        RcsAgentId=agent_id, Filters=[{"Name": "country-launch-status", "Values": ["REJECTED"]}])
    assert [e["IsoCountryCode"] for e in only["CountryLaunchStatus"]] == ["GB"]
    named = client.describe_rcs_agent_country_launch_status(RcsAgentId=agent_id, IsoCountryCodes=["US", "FR"])
    assert [e["IsoCountryCode"] for e in named["CountryLaunchStatus"]] == ["US"]
    active = client.describe_rcs_agents(Filters=[{"Name": "status", "Values": ["ACTIVE"]}])["RcsAgents"]
    assert [a["RcsAgentId"] for a in active] == [agent_id]


def test_operator_review_errors(client, server):
    agent_id = client.create_rcs_agent()["RcsAgentId"]
    unknown = review(server, MISSING, "US", Decision="SUBMIT")
    assert unknown.status_code == 400 and "ResourceNotFoundException" in unknown.text
    assert review(server, agent_id, "US", Decision="MAYBE").status_code == 400
    assert review(server, agent_id, "XX", Decision="SUBMIT").status_code == 400
    too_early = review(server, agent_id, "US", Decision="APPROVE")
    assert too_early.status_code == 400 and "ConflictException" in too_early.text and too_early.json()["Reason"] == "RESOURCE_MODIFICATION_NOT_ALLOWED"
    review(server, agent_id, "US", Decision="SUBMIT", Carriers=["A"])
    assert review(server, agent_id, "US", Decision="PARTIAL", ActiveCarriers=["B"]).status_code == 400


def test_through_the_aws_cli(aws_cli):
    made = aws_cli("create-rcs-agent", "--deletion-protection-enabled")
    assert made["Status"] == "CREATED" and made["DeletionProtectionEnabled"] is True
    listed = aws_cli("describe-rcs-agents", "--rcs-agent-ids", made["RcsAgentId"])
    assert [a["RcsAgentId"] for a in listed["RcsAgents"]] == [made["RcsAgentId"]]
    launches = aws_cli("describe-rcs-agent-country-launch-status", "--rcs-agent-id", made["RcsAgentId"])
    assert launches["CountryLaunchStatus"] == []
    refused = aws_cli("delete-rcs-agent", "--rcs-agent-id", made["RcsAgentId"], expect_error=True)
    assert "ConflictException" in refused
