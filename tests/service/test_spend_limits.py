"""Spend limits: defaults, overrides up to MaxLimit, deletion of overrides, for every channel."""

from __future__ import annotations

import pytest
import requests
from botocore.exceptions import ClientError

from tests.support.errors import error_of

CHANNELS = [("text", "TEXT"), ("voice", "VOICE"), ("media", "MEDIA"), ("notify", "NOTIFY")]


def limits(client) -> dict[str, dict]:
    return {limit["Name"]: limit for limit in client.describe_spend_limits()["SpendLimits"]}


def test_defaults_for_a_production_account(client):
    described = limits(client)
    assert set(described) == {f"{c}_MESSAGE_MONTHLY_SPEND_LIMIT" for _, c in CHANNELS}
    for limit in described.values():
        assert limit["Overridden"] is False
        assert limit["EnforcedLimit"] <= limit["MaxLimit"]


@pytest.mark.parametrize("channel,name", CHANNELS)
def test_override_set_and_delete(client, channel, name):
    setter = getattr(client, f"set_{channel}_message_spend_limit_override")
    deleter = getattr(client, f"delete_{channel}_message_spend_limit_override")
    assert setter(MonthlyLimit=42)["MonthlyLimit"] == 42
    limit = limits(client)[f"{name}_MESSAGE_MONTHLY_SPEND_LIMIT"]
    assert (limit["EnforcedLimit"], limit["Overridden"]) == (42, True)
    assert deleter()["MonthlyLimit"] == 42
    limit = limits(client)[f"{name}_MESSAGE_MONTHLY_SPEND_LIMIT"]
    assert limit["Overridden"] is False and limit["EnforcedLimit"] != 42


def test_override_above_max_limit_is_refused(client):
    maximum = limits(client)["TEXT_MESSAGE_MONTHLY_SPEND_LIMIT"]["MaxLimit"]
    with pytest.raises(ClientError) as excinfo:
        client.set_text_message_spend_limit_override(MonthlyLimit=maximum + 1)
    error = error_of(excinfo)
    assert (error["Code"], error["Reason"]) == ("ValidationException", "REQUESTED_SPEND_LIMIT_HIGHER_THAN_SERVICE_LIMIT")
    assert error["Fields"][0]["Name"] == "MonthlyLimit"
    assert client.set_text_message_spend_limit_override(MonthlyLimit=maximum)["MonthlyLimit"] == maximum


def test_negative_limit_is_a_validation_error(unchecked_client):
    with pytest.raises(ClientError) as excinfo:
        unchecked_client.set_voice_message_spend_limit_override(MonthlyLimit=-1)
    assert error_of(excinfo)["Code"] == "ValidationException"


def test_a_sandbox_account_cannot_raise_its_limit_above_the_sandbox_max(server, client, account_id):
    """Sandbox spend is USD 1 a month and only AWS lifts it: the MaxLimit is 1 too, so EnforcedLimit equals
    MaxLimit (as after deleting an override) and an override above it is refused."""
    requests.put(f"{server.url}/_pigeon/accounts/{account_id}", json={"AccountTier": "SANDBOX"}, timeout=5)
    for limit in limits(client).values():
        assert (limit["EnforcedLimit"], limit["MaxLimit"], limit["Overridden"]) == (1, 1, False)
    with pytest.raises(ClientError) as excinfo:
        client.set_text_message_spend_limit_override(MonthlyLimit=2)
    assert error_of(excinfo)["Reason"] == "REQUESTED_SPEND_LIMIT_HIGHER_THAN_SERVICE_LIMIT"
    assert client.set_text_message_spend_limit_override(MonthlyLimit=0)["MonthlyLimit"] == 0
