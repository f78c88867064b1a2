"""Protect configurations, their country rules and number overrides, through boto3 against a real server."""

from __future__ import annotations

import datetime

import pytest
import requests
from botocore.exceptions import ClientError

from tests.conftest import make_client, new_account_id
from tests.support.errors import error_of


def _error(call, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


def _server_now(server) -> float:
    return requests.get(server.url + "/_pigeon/clock", timeout=5).json()["Now"]


def test_create_returns_the_information_and_tags(client, account_id):
    created = client.create_protect_configuration(Tags=[{"Key": "Name", "Value": "signup"}])
    protect_id = created["ProtectConfigurationId"]
    assert protect_id.startswith("protect-") and len(protect_id) == len("protect-") + 32
    assert created["ProtectConfigurationArn"] == (
        f"arn:aws:sms-voice:us-east-1:{account_id}:protect-configuration/{protect_id}")
    assert created["AccountDefault"] is False
    assert created["DeletionProtectionEnabled"] is False
    assert created["Tags"] == [{"Key": "Name", "Value": "signup"}]
    assert created["CreatedTimestamp"].year >= 2024
    listed = client.list_tags_for_resource(ResourceArn=created["ProtectConfigurationArn"])["Tags"]
    assert listed == [{"Key": "Name", "Value": "signup"}]


def test_describe_by_id_and_arn_and_unknown(client):
    first = client.create_protect_configuration()
    second = client.create_protect_configuration(DeletionProtectionEnabled=True)
    found = client.describe_protect_configurations(
        ProtectConfigurationIds=[second["ProtectConfigurationArn"], first["ProtectConfigurationId"]])
    assert [p["ProtectConfigurationId"] for p in found["ProtectConfigurations"]] == [
        first["ProtectConfigurationId"], second["ProtectConfigurationId"]]
    assert [p["DeletionProtectionEnabled"] for p in found["ProtectConfigurations"]] == [False, True]
    error = _error(client.describe_protect_configurations, ProtectConfigurationIds=["protect-" + "0" * 32])
    assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "protect-configuration",
                             "ResourceId": "protect-" + "0" * 32}.items()


def test_describe_filters_and_pagination(client):
    ids = [client.create_protect_configuration(DeletionProtectionEnabled=index == 1)["ProtectConfigurationId"]
           for index in range(4)]
    client.set_account_default_protect_configuration(ProtectConfigurationId=ids[2])

    def described(filters):
        return [p["ProtectConfigurationId"] for p in
                client.describe_protect_configurations(Filters=filters)["ProtectConfigurations"]]

    assert described([{"Name": "deletion-protection-enabled", "Values": ["true"]}]) == [ids[1]]
    assert described([{"Name": "account-default", "Values": ["true"]}]) == [ids[2]]
    assert described([{"Name": "account-default", "Values": ["false"]},
                      {"Name": "deletion-protection-enabled", "Values": ["false"]}]) == [ids[0], ids[3]]
    error = _error(client.describe_protect_configurations,
                   Filters=[{"Name": "account-default", "Values": ["maybe"]}])
    assert error.items() >= {"Code": "ValidationException", "Reason": "INVALID_FILTER_VALUES"}.items()
    seen, token = [], None
    while True:
        page = client.describe_protect_configurations(MaxResults=3, **({"NextToken": token} if token else {}))
        seen += [p["ProtectConfigurationId"] for p in page["ProtectConfigurations"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == ids


def test_update_toggles_deletion_protection(client):
    protect_id = client.create_protect_configuration()["ProtectConfigurationId"]
    updated = client.update_protect_configuration(ProtectConfigurationId=protect_id, DeletionProtectionEnabled=True)
    assert updated["DeletionProtectionEnabled"] is True and updated["AccountDefault"] is False
    error = _error(client.delete_protect_configuration, ProtectConfigurationId=protect_id)
    assert error.items() >= {"Code": "ConflictException", "Reason": "DELETION_PROTECTION_ENABLED",
                             "ResourceType": "protect-configuration", "ResourceId": protect_id}.items()
    client.update_protect_configuration(ProtectConfigurationId=protect_id, DeletionProtectionEnabled=False)
    deleted = client.delete_protect_configuration(ProtectConfigurationId=protect_id)
    assert deleted["ProtectConfigurationId"] == protect_id
    error = _error(client.update_protect_configuration, ProtectConfigurationId=protect_id,
                   DeletionProtectionEnabled=True)
    assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceId": protect_id}.items()


def test_quota_of_protect_configurations(client):
    for _ in range(5):
        client.create_protect_configuration()
    error = _error(client.create_protect_configuration)
    assert error.items() >= {"Code": "ServiceQuotaExceededException",
                             "Reason": "PROTECT_CONFIGURATIONS_PER_ACCOUNT"}.items()


def test_account_default_cannot_be_deleted_until_removed(client):
    created = client.create_protect_configuration()
    protect_id = created["ProtectConfigurationId"]
    default = client.set_account_default_protect_configuration(ProtectConfigurationId=created["ProtectConfigurationArn"])
    assert default == {**default, "DefaultProtectConfigurationId": protect_id,
                       "DefaultProtectConfigurationArn": created["ProtectConfigurationArn"]}
    attributes = client.describe_account_attributes()["AccountAttributes"]
    assert {"Name": "DEFAULT_PROTECT_CONFIGURATION_ID", "Value": protect_id} in attributes
    described = client.describe_protect_configurations(ProtectConfigurationIds=[protect_id])
    assert described["ProtectConfigurations"][0]["AccountDefault"] is True
    error = _error(client.delete_protect_configuration, ProtectConfigurationId=protect_id)
    assert error.items() >= {"Code": "ConflictException", "Reason": "PROTECT_CONFIGURATION_IS_ACCOUNT_DEFAULT",
                             "ResourceType": "protect-configuration", "ResourceId": protect_id}.items()
    removed = client.delete_account_default_protect_configuration()
    assert removed["DefaultProtectConfigurationId"] == protect_id
    assert removed["DefaultProtectConfigurationArn"] == created["ProtectConfigurationArn"]
    names = [a["Name"] for a in client.describe_account_attributes()["AccountAttributes"]]
    assert "DEFAULT_PROTECT_CONFIGURATION_ID" not in names
    client.delete_protect_configuration(ProtectConfigurationId=protect_id)


def test_account_default_is_replaced_and_delete_without_one_is_not_found(client):
    first = client.create_protect_configuration()["ProtectConfigurationId"]
    second = client.create_protect_configuration()["ProtectConfigurationId"]
    client.set_account_default_protect_configuration(ProtectConfigurationId=first)
    client.set_account_default_protect_configuration(ProtectConfigurationId=second)
    defaults = client.describe_protect_configurations(Filters=[{"Name": "account-default", "Values": ["true"]}])
    assert [p["ProtectConfigurationId"] for p in defaults["ProtectConfigurations"]] == [second]
    client.delete_account_default_protect_configuration()
    error = _error(client.delete_account_default_protect_configuration)
    assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "protect-configuration"}.items()
    error = _error(client.set_account_default_protect_configuration, ProtectConfigurationId="protect-missing")
    assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceId": "protect-missing"}.items()


def test_configuration_set_association(client):
    protect_id = client.create_protect_configuration()["ProtectConfigurationId"]
    other_id = client.create_protect_configuration()["ProtectConfigurationId"]
    set_arn = client.create_configuration_set(ConfigurationSetName="guarded")["ConfigurationSetArn"]
    associated = client.associate_protect_configuration(ConfigurationSetName=set_arn, ProtectConfigurationId=protect_id)
    assert associated["ConfigurationSetName"] == "guarded" and associated["ConfigurationSetArn"] == set_arn
    assert associated["ProtectConfigurationId"] == protect_id
    info = client.describe_configuration_sets(ConfigurationSetNames=["guarded"])["ConfigurationSets"][0]
    assert info["ProtectConfigurationId"] == protect_id
    filtered = client.describe_configuration_sets(Filters=[{"Name": "protect-configuration-id", "Values": [protect_id]}])
    assert [c["ConfigurationSetName"] for c in filtered["ConfigurationSets"]] == ["guarded"]
    error = _error(client.delete_protect_configuration, ProtectConfigurationId=protect_id)
    assert error.items() >= {"Code": "ConflictException",
                             "Reason": "PROTECT_CONFIGURATION_ASSOCIATED_WITH_CONFIGURATION_SET",
                             "ResourceId": protect_id}.items()
    error = _error(client.disassociate_protect_configuration, ConfigurationSetName="guarded",
                   ProtectConfigurationId=other_id)
    assert error.items() >= {"Code": "ConflictException",
                             "Reason": "PROTECT_CONFIGURATION_NOT_ASSOCIATED_WITH_CONFIGURATION_SET",
                             "ResourceType": "protect-configuration", "ResourceId": other_id}.items()
    client.associate_protect_configuration(ConfigurationSetName="guarded", ProtectConfigurationId=other_id)
    client.delete_protect_configuration(ProtectConfigurationId=protect_id)  # replaced: no longer associated
    gone = client.disassociate_protect_configuration(ConfigurationSetName="guarded", ProtectConfigurationId=other_id)
    assert gone["ProtectConfigurationId"] == other_id
    info = client.describe_configuration_sets(ConfigurationSetNames=["guarded"])["ConfigurationSets"][0]
    assert "ProtectConfigurationId" not in info


def test_association_with_unknown_resources_is_not_found(client):
    protect_id = client.create_protect_configuration()["ProtectConfigurationId"]
    error = _error(client.associate_protect_configuration, ConfigurationSetName="nowhere",
                   ProtectConfigurationId=protect_id)
    assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "configuration-set",
                             "ResourceId": "nowhere"}.items()
    client.create_configuration_set(ConfigurationSetName="somewhere")
    error = _error(client.associate_protect_configuration, ConfigurationSetName="somewhere",
                   ProtectConfigurationId="protect-nope")
    assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "protect-configuration",
                             "ResourceId": "protect-nope"}.items()


def test_new_configuration_allows_every_country_for_each_capability(client):
    protect_id = client.create_protect_configuration()["ProtectConfigurationId"]
    for capability in ("SMS", "VOICE", "MMS"):
        rules = client.get_protect_configuration_country_rule_set(ProtectConfigurationId=protect_id,
                                                                  NumberCapability=capability)
        assert rules["NumberCapability"] == capability and rules["ProtectConfigurationId"] == protect_id
        assert 200 <= len(rules["CountryRuleSet"]) <= 300
        assert {"US", "GB", "IN", "BR"} <= set(rules["CountryRuleSet"])
        assert {rule["ProtectStatus"] for rule in rules["CountryRuleSet"].values()} == {"ALLOW"}


def test_update_country_rules_applies_to_one_capability(client):
    protect_id = client.create_protect_configuration()["ProtectConfigurationId"]
    updated = client.update_protect_configuration_country_rule_set(
        ProtectConfigurationId=protect_id, NumberCapability="SMS",
        CountryRuleSetUpdates={"CA": {"ProtectStatus": "BLOCK"}, "IN": {"ProtectStatus": "FILTER"},
                               "NG": {"ProtectStatus": "MONITOR"}})
    assert updated["CountryRuleSet"]["CA"] == {"ProtectStatus": "BLOCK"}
    assert updated["CountryRuleSet"]["US"] == {"ProtectStatus": "ALLOW"}
    sms = client.get_protect_configuration_country_rule_set(ProtectConfigurationId=protect_id,
                                                            NumberCapability="SMS")["CountryRuleSet"]
    assert (sms["CA"], sms["IN"], sms["NG"]) == ({"ProtectStatus": "BLOCK"}, {"ProtectStatus": "FILTER"},
                                                 {"ProtectStatus": "MONITOR"})
    voice = client.get_protect_configuration_country_rule_set(ProtectConfigurationId=protect_id,
                                                              NumberCapability="VOICE")["CountryRuleSet"]
    assert voice["CA"] == {"ProtectStatus": "ALLOW"}
    client.update_protect_configuration_country_rule_set(
        ProtectConfigurationId=protect_id, NumberCapability="SMS", CountryRuleSetUpdates={"CA": {"ProtectStatus": "ALLOW"}})
    sms = client.get_protect_configuration_country_rule_set(ProtectConfigurationId=protect_id,
                                                            NumberCapability="SMS")["CountryRuleSet"]
    assert sms["CA"] == {"ProtectStatus": "ALLOW"} and sms["IN"] == {"ProtectStatus": "FILTER"}


def test_voice_and_mms_rules_only_allow_or_block(client):
    protect_id = client.create_protect_configuration()["ProtectConfigurationId"]
    client.update_protect_configuration_country_rule_set(
        ProtectConfigurationId=protect_id, NumberCapability="VOICE", CountryRuleSetUpdates={"GB": {"ProtectStatus": "BLOCK"}})
    error = _error(client.update_protect_configuration_country_rule_set, ProtectConfigurationId=protect_id,
                   NumberCapability="MMS", CountryRuleSetUpdates={"US": {"ProtectStatus": "FILTER"}})
    assert error["Code"] == "ValidationException"
    assert error["Fields"][0]["Name"] == "CountryRuleSetUpdates.US.ProtectStatus"


def test_country_rule_errors(client):
    protect_id = client.create_protect_configuration()["ProtectConfigurationId"]
    error = _error(client.update_protect_configuration_country_rule_set, ProtectConfigurationId=protect_id,
                   NumberCapability="SMS", CountryRuleSetUpdates={"QQ": {"ProtectStatus": "BLOCK"}})
    assert error["Code"] == "ValidationException" and error["Fields"][0]["Name"] == "CountryRuleSetUpdates.QQ"
    error = _error(client.get_protect_configuration_country_rule_set, ProtectConfigurationId=protect_id,
                   NumberCapability="RCS")
    assert error["Code"] == "ValidationException" and error["Fields"][0]["Name"] == "NumberCapability"
    error = _error(client.get_protect_configuration_country_rule_set, ProtectConfigurationId="protect-gone",
                   NumberCapability="SMS")
    assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceId": "protect-gone"}.items()


def test_number_override_put_list_delete(client):
    protect = client.create_protect_configuration()
    protect_id = protect["ProtectConfigurationId"]
    put = client.put_protect_configuration_rule_set_number_override(
        ProtectConfigurationId=protect_id, DestinationPhoneNumber="+14255550123", Action="BLOCK")
    assert put.items() >= {"ProtectConfigurationId": protect_id, "DestinationPhoneNumber": "+14255550123",
                           "Action": "BLOCK", "IsoCountryCode": "US",
                           "ProtectConfigurationArn": protect["ProtectConfigurationArn"]}.items()
    assert "ExpirationTimestamp" not in put
    client.put_protect_configuration_rule_set_number_override(
        ProtectConfigurationId=protect_id, DestinationPhoneNumber="447700900123", Action="ALLOW")
    listed = client.list_protect_configuration_rule_set_number_overrides(ProtectConfigurationId=protect_id)
    assert [(o["DestinationPhoneNumber"], o["Action"], o["IsoCountryCode"]) for o in listed["RuleSetNumberOverrides"]] == [
        ("+14255550123", "BLOCK", "US"), ("+447700900123", "ALLOW", "GB")]
    again = client.put_protect_configuration_rule_set_number_override(
        ProtectConfigurationId=protect_id, DestinationPhoneNumber="+14255550123", Action="ALLOW")
    assert again["Action"] == "ALLOW" and again["CreatedTimestamp"] == put["CreatedTimestamp"]
    deleted = client.delete_protect_configuration_rule_set_number_override(
        ProtectConfigurationId=protect_id, DestinationPhoneNumber="+14255550123")
    assert deleted["Action"] == "ALLOW" and deleted["DestinationPhoneNumber"] == "+14255550123"
    error = _error(client.delete_protect_configuration_rule_set_number_override,
                   ProtectConfigurationId=protect_id, DestinationPhoneNumber="+14255550123")
    assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "protect-configuration",
                             "ResourceId": "+14255550123"}.items()
    listed = client.list_protect_configuration_rule_set_number_overrides(ProtectConfigurationId=protect_id)
    assert [o["DestinationPhoneNumber"] for o in listed["RuleSetNumberOverrides"]] == ["+447700900123"]


def test_override_errors(client):
    protect_id = client.create_protect_configuration()["ProtectConfigurationId"]
    error = _error(client.put_protect_configuration_rule_set_number_override, ProtectConfigurationId="protect-x",
                   DestinationPhoneNumber="+14255550123", Action="BLOCK")
    assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "protect-configuration",
                             "ResourceId": "protect-x"}.items()
    error = _error(client.put_protect_configuration_rule_set_number_override, ProtectConfigurationId=protect_id,
                   DestinationPhoneNumber="+1", Action="BLOCK")
    assert error["Code"] == "ValidationException"
    error = _error(client.put_protect_configuration_rule_set_number_override, ProtectConfigurationId=protect_id,
                   DestinationPhoneNumber="+14255550123", Action="BLOCK",
                   ExpirationTimestamp=datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC))
    assert error["Code"] == "ValidationException" and error["Fields"][0]["Name"] == "ExpirationTimestamp"
    error = _error(client.list_protect_configuration_rule_set_number_overrides, ProtectConfigurationId=protect_id,
                   Filters=[{"Name": "created-after", "Values": ["yesterday"]}])
    assert error.items() >= {"Code": "ValidationException", "Reason": "INVALID_FILTER_VALUES"}.items()


def test_override_expires_when_the_clock_passes_it(client, server):
    protect_id = client.create_protect_configuration()["ProtectConfigurationId"]
    now = _server_now(server)
    expires = datetime.datetime.fromtimestamp(int(now) + 3600, tz=datetime.UTC)
    put = client.put_protect_configuration_rule_set_number_override(
        ProtectConfigurationId=protect_id, DestinationPhoneNumber="+14255550199", Action="BLOCK",
        ExpirationTimestamp=expires)
    assert put["ExpirationTimestamp"] == expires
    client.put_protect_configuration_rule_set_number_override(
        ProtectConfigurationId=protect_id, DestinationPhoneNumber="+14255550100", Action="ALLOW")
    listed = client.list_protect_configuration_rule_set_number_overrides(ProtectConfigurationId=protect_id)
    assert len(listed["RuleSetNumberOverrides"]) == 2
    server.advance_clock(3601)
    listed = client.list_protect_configuration_rule_set_number_overrides(ProtectConfigurationId=protect_id)
    assert [o["DestinationPhoneNumber"] for o in listed["RuleSetNumberOverrides"]] == ["+14255550100"]
    error = _error(client.delete_protect_configuration_rule_set_number_override,
                   ProtectConfigurationId=protect_id, DestinationPhoneNumber="+14255550199")
    assert error["Code"] == "ResourceNotFoundException"


def test_override_filters(client, server):
    protect_id = client.create_protect_configuration()["ProtectConfigurationId"]
    now = _server_now(server)
    expiring = datetime.datetime.fromtimestamp(now + 600, tz=datetime.UTC)
    for number, action in [("+14255550101", "BLOCK"), ("+14255550202", "ALLOW"), ("+447700900303", "BLOCK")]:
        client.put_protect_configuration_rule_set_number_override(
            ProtectConfigurationId=protect_id, DestinationPhoneNumber=number, Action=action,
            **({"ExpirationTimestamp": expiring} if number.endswith("202") else {}))

    def numbers(filters):
        page = client.list_protect_configuration_rule_set_number_overrides(ProtectConfigurationId=protect_id,
                                                                           Filters=filters)
        return [o["DestinationPhoneNumber"] for o in page["RuleSetNumberOverrides"]]

    assert numbers([{"Name": "iso-country-code", "Values": ["GB"]}]) == ["+447700900303"]
    assert numbers([{"Name": "action", "Values": ["BLOCK"]}]) == ["+14255550101", "+447700900303"]
    assert numbers([{"Name": "destination-phone-number-begins-with", "Values": ["+1425555020", "+4477"]}]) == [
        "+14255550202", "+447700900303"]
    assert numbers([{"Name": "expires-before", "Values": [str(now + 1200)]}]) == ["+14255550202"]
    assert numbers([{"Name": "expires-after", "Values": [str(now + 1200)]}]) == ["+14255550101", "+447700900303"]
    later = datetime.datetime.fromtimestamp(now + 86400, tz=datetime.UTC).isoformat()
    assert len(numbers([{"Name": "created-before", "Values": [later]}])) == 3
    assert numbers([{"Name": "created-after", "Values": [later]}]) == []
    assert numbers([{"Name": "action", "Values": ["BLOCK"]}, {"Name": "iso-country-code", "Values": ["US"]}]) == [
        "+14255550101"]
    page = client.list_protect_configuration_rule_set_number_overrides(ProtectConfigurationId=protect_id, MaxResults=2)
    rest = client.list_protect_configuration_rule_set_number_overrides(ProtectConfigurationId=protect_id,
                                                                       NextToken=page["NextToken"])
    assert len(page["RuleSetNumberOverrides"]) == 2 and len(rest["RuleSetNumberOverrides"]) == 1
    error = _error(client.list_protect_configuration_rule_set_number_overrides, ProtectConfigurationId=protect_id,
                   Filters=[{"Name": "action", "Values": ["MONITOR"]}])
    assert error.items() >= {"Code": "ValidationException", "Reason": "INVALID_FILTER_VALUES"}.items()


def test_deleting_a_configuration_deletes_its_overrides(client):
    protect_id = client.create_protect_configuration()["ProtectConfigurationId"]
    client.put_protect_configuration_rule_set_number_override(
        ProtectConfigurationId=protect_id, DestinationPhoneNumber="+14255550123", Action="BLOCK")
    client.delete_protect_configuration(ProtectConfigurationId=protect_id)
    error = _error(client.list_protect_configuration_rule_set_number_overrides, ProtectConfigurationId=protect_id)
    assert error["Code"] == "ResourceNotFoundException"


def test_configurations_are_private_to_their_account(client, server):
    protect = client.create_protect_configuration()
    stranger = make_client(server, new_account_id())
    error = _error(stranger.get_protect_configuration_country_rule_set,
                   ProtectConfigurationId=protect["ProtectConfigurationArn"], NumberCapability="SMS")
    assert error["Code"] == "ResourceNotFoundException"
    error = _error(stranger.describe_protect_configurations, ProtectConfigurationIds=[protect["ProtectConfigurationId"]])
    assert error["Code"] == "ResourceNotFoundException"


def test_create_with_client_token_is_idempotent(client):
    first = client.create_protect_configuration(ClientToken="protect-once")
    second = client.create_protect_configuration(ClientToken="protect-once")
    assert first["ProtectConfigurationId"] == second["ProtectConfigurationId"]
    assert len(client.describe_protect_configurations()["ProtectConfigurations"]) == 1


def test_cli_creates_and_reads_rules(aws_cli):
    created = aws_cli("create-protect-configuration")
    rules = aws_cli("get-protect-configuration-country-rule-set", "--protect-configuration-id",
                    created["ProtectConfigurationId"], "--number-capability", "SMS")
    assert rules["CountryRuleSet"]["US"] == {"ProtectStatus": "ALLOW"}
