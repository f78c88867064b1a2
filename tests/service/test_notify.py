"""Notify configurations, templates, countries and the two Notify sends through boto3 and the AWS CLI against a
real server (SQLite and PostgreSQL); sent messages are read back through the inspection API."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.messaging.support import GB_SUCCESS, US_SUCCESS, final_events, messages, simulator_number
from tests.support.errors import error_of

MISSING = "notify-" + "0" * 32
OTP = "otp-verification-en"


def error(call, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


def configuration(client, **overrides):
    params = {"DisplayName": "Acme", "UseCase": "CODE_VERIFICATION", "EnabledChannels": ["SMS", "VOICE"],
              **overrides}
    return client.create_notify_configuration(**params)


def test_configuration_lifecycle(client, account_id):
    made = configuration(client, EnabledCountries=["US", "GB"], DefaultTemplateId=OTP, DeletionProtectionEnabled=True,
                         Tags=[{"Key": "k", "Value": "v"}])
    config_id = made["NotifyConfigurationId"]
    assert config_id.startswith("notify-")
    assert made["NotifyConfigurationArn"] == f"arn:aws:sms-voice:us-east-1:{account_id}:notify-configuration/{config_id}"
    assert (made["Status"], made["Tier"], made["TierUpgradeStatus"], made["EnabledCountries"], made["EnabledChannels"],
            made["DefaultTemplateId"], made["Tags"]) == (
        "ACTIVE", "BASIC", "BASIC", ["US", "GB"], ["SMS", "VOICE"], OTP, [{"Key": "k", "Value": "v"}])
    pool = client.create_pool(OriginationIdentity=simulator_number(client)["PhoneNumberId"], IsoCountryCode="US",
                              MessageType="TRANSACTIONAL")
    updated = client.update_notify_configuration(NotifyConfigurationId=made["NotifyConfigurationArn"],
                                                 EnabledChannels=["SMS"], PoolId=pool["PoolId"],
                                                 DefaultTemplateId="UNSET_DEFAULT_TEMPLATE")
    assert (updated["EnabledChannels"], updated["PoolId"], "DefaultTemplateId" in updated) == (
        ["SMS"], pool["PoolId"], False)
    unset = client.update_notify_configuration(NotifyConfigurationId=config_id, PoolId="UNSET_DEFAULT_POOL_FOR_NOTIFY")
    assert "PoolId" not in unset
    protected = error(client.delete_notify_configuration, NotifyConfigurationId=config_id)
    assert protected.items() >= {"Code": "ConflictException", "Reason": "DELETION_PROTECTION_ENABLED",
                                 "ResourceType": "notify-configuration", "ResourceId": config_id}.items()
    client.update_notify_configuration(NotifyConfigurationId=config_id, DeletionProtectionEnabled=False)
    assert client.delete_notify_configuration(NotifyConfigurationId=config_id)["NotifyConfigurationId"] == config_id
    gone = error(client.describe_notify_configurations, NotifyConfigurationIds=[config_id])
    assert gone.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "notify-configuration"}.items()


def test_configuration_validation_and_not_found(client):
    mms = error(configuration, client=client, EnabledChannels=["MMS"])
    assert (mms["Code"], mms["Reason"], mms["Fields"][0]["Name"]) == (
        "ValidationException", "CHANNEL_NOT_ENABLED", "EnabledChannels[0]")
    advanced_only = error(configuration, client=client, EnabledCountries=["US", "JP"])
    assert (advanced_only["Reason"], advanced_only["Fields"][0]["Name"]) == ("COUNTRY_NOT_ENABLED", "EnabledCountries[1]")
    template = error(configuration, client=client, DefaultTemplateId="no-such-template")
    assert template.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "notify-template"}.items()
    pool = error(configuration, client=client, PoolId="pool-" + "0" * 32)
    assert pool.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "pool"}.items()
    for call in (client.update_notify_configuration, client.delete_notify_configuration):
        found = error(call, NotifyConfigurationId=MISSING)
        assert found.items() >= {"Code": "ResourceNotFoundException", "ResourceId": MISSING}.items()


def test_describe_filters_and_pages(client):
    first = configuration(client, EnabledCountries=["US"])["NotifyConfigurationId"]
    second = configuration(client, DisplayName="Other", EnabledChannels=["SMS"])["NotifyConfigurationId"]
    third = configuration(client, DeletionProtectionEnabled=True)["NotifyConfigurationId"]
    pages = list(client.get_paginator("describe_notify_configurations").paginate(PaginationConfig={"PageSize": 2}))
    assert [c["NotifyConfigurationId"] for p in pages for c in p["NotifyConfigurations"]] == [first, second, third]
    assert len(pages) == 2

    def ids(*filters):
        found = client.describe_notify_configurations(Filters=[{"Name": n, "Values": v} for n, v in filters])
        return [c["NotifyConfigurationId"] for c in found["NotifyConfigurations"]]

    assert ids(("display-name", ["Other"])) == [second]
    assert ids(("enabled-countries", ["US"])) == [first]
    assert ids(("enabled-channels", ["VOICE"]), ("deletion-protection-enabled", ["true"])) == [third]
    bad = error(client.describe_notify_configurations, Filters=[{"Name": "status", "Values": ["ASLEEP"]}])
    assert bad["Reason"] == "INVALID_FILTER_VALUES"


def test_templates_and_countries(client):
    every = client.describe_notify_templates()["NotifyTemplates"]
    assert OTP in [t["TemplateId"] for t in every]
    otp = client.describe_notify_templates(TemplateIds=[OTP])["NotifyTemplates"][0]
    assert (otp["TemplateType"], otp["Channels"], otp["Variables"]["code"]["Source"]) == (
        "OTP_VERIFICATION", ["SMS", "VOICE"], "CUSTOMER")
    assert "{{code}}" in otp["Content"]
    spanish = client.describe_notify_templates(Filters=[{"Name": "language-code", "Values": ["es"]}])["NotifyTemplates"]
    assert spanish and all(t["LanguageCode"] == "es" for t in spanish)
    missing = error(client.describe_notify_templates, TemplateIds=["nope"])
    assert missing.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "notify-template"}.items()
    bad = error(client.describe_notify_templates, Filters=[{"Name": "channels", "Values": ["FAX"]}])
    assert bad["Reason"] == "INVALID_FILTER_VALUES"

    countries = client.list_notify_countries()["NotifyCountries"]
    codes = [c["IsoCountryCode"] for c in countries]
    assert codes == sorted(codes) and "US" in codes
    basic_voice = client.list_notify_countries(Channels=["VOICE"], Tier="BASIC")["NotifyCountries"]
    assert basic_voice and all("VOICE" in c["SupportedChannels"] and "BASIC" in c["SupportedTiers"] for c in basic_voice)
    page = client.list_notify_countries(MaxResults=2)
    assert len(page["NotifyCountries"]) == 2 and page["NextToken"]
    rest = client.list_notify_countries(NextToken=page["NextToken"])["NotifyCountries"]
    assert [c["IsoCountryCode"] for c in rest] == codes[2:]


def test_send_text_renders_the_template_into_the_outbox(client, server):
    config = configuration(client, DefaultTemplateId=OTP)
    sent = client.send_notify_text_message(NotifyConfigurationId=config["NotifyConfigurationId"],
                                           DestinationPhoneNumber=US_SUCCESS, TemplateVariables={"code": "482913"},
                                           Context={"k": "v"})
    assert sent["TemplateId"] == OTP
    assert sent["ResolvedMessageBody"] == "Acme: your verification code is 482913. Do not share it with anyone."
    stored = messages(server, message_id=sent["MessageId"])
    assert [m["Channel"] for m in stored] == ["TEXT"]
    assert stored[0]["Payload"]["MessageBody"] == sent["ResolvedMessageBody"] if "Payload" in stored[0] else True
    records = final_events(server, sent["MessageId"])
    assert records[-1]["eventType"] == "TEXT_DELIVERED" and records[-1]["context"] == {"k": "v"}


def test_send_voice_goes_through_the_voice_path(client, server):
    config = configuration(client)
    sent = client.send_notify_voice_message(NotifyConfigurationId=config["NotifyConfigurationId"],
                                            DestinationPhoneNumber=US_SUCCESS, TemplateId="otp-verification-expiry-en",
                                            TemplateVariables={"code": "7731"}, VoiceId="MATTHEW")
    assert sent["ResolvedMessageBody"] == "Acme: your verification code is 7731. It expires in 10 minutes."
    assert [m["Channel"] for m in messages(server, message_id=sent["MessageId"])] == ["VOICE"]
    assert final_events(server, sent["MessageId"], timeout=60)[-1]["eventType"].startswith("VOICE_")


def test_send_errors(client):
    config_id = configuration(client, EnabledChannels=["SMS"], EnabledCountries=["US"])["NotifyConfigurationId"]

    def text(**overrides):
        params = {"NotifyConfigurationId": config_id, "DestinationPhoneNumber": US_SUCCESS,
                  "TemplateId": OTP, "TemplateVariables": {"code": "123456"}, **overrides}
        return error(client.send_notify_text_message, **params)

    assert text(NotifyConfigurationId=MISSING).items() >= {"Code": "ResourceNotFoundException",
                                                           "ResourceType": "notify-configuration"}.items()
    assert text(TemplateId="nope")["ResourceType"] == "notify-template"
    assert text(TemplateId="")["Reason"] == "MISSING_PARAMETER"
    missing_code = text(TemplateVariables={})
    assert (missing_code["Reason"], missing_code["Fields"][0]["Name"]) == ("MISSING_PARAMETER", "TemplateVariables.code")
    assert text(TemplateVariables={"code": "12"})["Reason"] == "FIELD_VALIDATION_FAILED"
    assert text(TemplateVariables={"code": "123456", "brandName": "Evil"})["Reason"] == "INVALID_PARAMETER"
    assert text(TemplateVariables={"code": "123456", "extra": "x"})["Reason"] == "INVALID_PARAMETER"
    assert text(DestinationPhoneNumber=GB_SUCCESS)["Reason"] == "COUNTRY_NOT_ENABLED"
    assert text(TemplateId="otp-verification-legacy-en")["Reason"] == "RESOURCE_NOT_ACTIVE"
    assert text(TemplateId="otp-verification-login-en")["Reason"] == "INVALID_PARAMETER"  # ADVANCED tier only
    voice = error(client.send_notify_voice_message, NotifyConfigurationId=config_id, DestinationPhoneNumber=US_SUCCESS,
                  TemplateId=OTP, TemplateVariables={"code": "123456"})
    assert (voice["Code"], voice["Reason"]) == ("ValidationException", "CHANNEL_NOT_ENABLED")
    assert client.send_notify_text_message(NotifyConfigurationId=config_id, DestinationPhoneNumber=US_SUCCESS,
                                           TemplateId=OTP, TemplateVariables={"code": "123456"}, DryRun=True)["MessageId"]


def test_through_the_aws_cli(aws_cli):
    made = aws_cli("create-notify-configuration", "--display-name", "CliCo", "--use-case", "CODE_VERIFICATION",
                   "--enabled-channels", "SMS")
    listed = aws_cli("describe-notify-configurations")
    assert [c["NotifyConfigurationId"] for c in listed["NotifyConfigurations"]] == [made["NotifyConfigurationId"]]
    templates = aws_cli("describe-notify-templates", "--template-ids", OTP)
    assert templates["NotifyTemplates"][0]["TemplateId"] == OTP
    assert aws_cli("list-notify-countries", "--tier", "BASIC")["NotifyCountries"]
    sent = aws_cli("send-notify-text-message", "--notify-configuration-id", made["NotifyConfigurationId"],
                   "--destination-phone-number", US_SUCCESS, "--template-id", OTP,
                   "--template-variables", "code=555111")
    assert sent["ResolvedMessageBody"].startswith("CliCo: your verification code is 555111")
    refused = aws_cli("delete-notify-configuration", "--notify-configuration-id", MISSING, expect_error=True)
    assert "ResourceNotFoundException" in refused


def test_a_pool_a_notify_configuration_sends_from_cannot_be_deleted(client):
    pool = client.create_pool(OriginationIdentity=simulator_number(client)["PhoneNumberId"], IsoCountryCode="US",
                              MessageType="TRANSACTIONAL")
    config_id = configuration(client, PoolId=pool["PoolId"])["NotifyConfigurationId"]
    refused = error(client.delete_pool, PoolId=pool["PoolId"])
    assert (refused["Code"], refused["Reason"], refused["ResourceId"]) == (
        "ConflictException", "POOL_ASSOCIATED_TO_NOTIFY_CONFIGURATION", pool["PoolId"])
    client.update_notify_configuration(NotifyConfigurationId=config_id, PoolId="UNSET_DEFAULT_POOL_FOR_NOTIFY")
    assert client.delete_pool(PoolId=pool["PoolId"])["Status"] == "DELETING"
