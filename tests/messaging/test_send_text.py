"""SendTextMessage through boto3 against a real server: accepted sends reach their final events in AWS's
format and order; each admission rule answers its documented error before a MessageId exists."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from tests.messaging.support import GB_SUCCESS, US_FAILURE, US_SUCCESS, events, final_events, messages, simulator_number
from tests.messaging.support import TEXT_RECORD_FIELDS as RECORD_FIELDS
from tests.support.errors import error_of


def refused(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


def test_success_number_gets_successful_then_delivered(client, server, account_id):
    number = simulator_number(client)
    message_id = client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="Your code is 123456",
                                          OriginationIdentity=number["PhoneNumberId"],
                                          Context={"order": "42"})["MessageId"]
    records = final_events(server, message_id)
    assert [(r["eventType"], r["isFinal"]) for r in records] == [("TEXT_SUCCESSFUL", False),
                                                                ("TEXT_DELIVERED", True)]
    successful, delivered = records
    assert list(successful) == RECORD_FIELDS
    assert successful["eventVersion"] == "1.0"
    assert successful["originationPhoneNumber"] == number["PhoneNumber"]
    assert successful["destinationPhoneNumber"] == US_SUCCESS
    assert (successful["isoCountryCode"], successful["isInternationalSend"]) == ("US", False)
    assert successful["mcc"] == "310" and "mnc" not in successful  # North America: no carrier data offline
    assert (successful["messageEncoding"], successful["messageType"]) == ("GSM", "TRANSACTIONAL")
    assert successful["messageStatus"] == "SUCCESSFUL"
    assert successful["messageStatusDescription"] == "Message has been accepted by phone carrier"
    assert delivered["messageStatusDescription"] == "Message has been accepted by phone"
    assert successful["context"] == {"order": "42"} == delivered["context"]
    assert successful["totalMessageParts"] == 1
    assert successful["totalMessagePrice"] == 0.00581
    assert successful["messageRequestTimestamp"] <= successful["eventTimestamp"] <= delivered["eventTimestamp"]
    [message] = messages(server, account=account_id)
    assert message["MessageId"] == message_id
    assert successful["messageRequestTimestamp"] == int(message["CreatedTimestamp"] * 1000)  # the server's clock
    assert (message["Status"], message["Channel"], message["MessageBody"]) == ("DELIVERED", "TEXT",
                                                                              "Your code is 123456")
    assert message["OriginationIdentity"] == number["PhoneNumber"]


def test_failure_number_gets_one_final_failure_event(client, server):
    number = simulator_number(client)
    message_id = client.send_text_message(DestinationPhoneNumber=US_FAILURE, MessageBody="x",
                                          OriginationIdentity=number["PhoneNumber"])["MessageId"]
    [record] = final_events(server, message_id)
    assert (record["eventType"], record["messageStatus"], record["isFinal"]) == ("TEXT_BLOCKED", "BLOCKED", True)


def test_unicode_multipart_body_is_priced_per_part(client, server):
    number = simulator_number(client)
    body = "Привет! " * 20  # 160 UCS-2 units -> 3 parts of at most 67
    message_id = client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody=body,
                                          OriginationIdentity=number["PhoneNumberArn"])["MessageId"]
    record = final_events(server, message_id)[-1]
    assert (record["messageEncoding"], record["totalMessageParts"]) == ("UNICODE", 3)
    assert record["totalMessagePrice"] == pytest.approx(3 * 0.00581)


def test_send_through_a_pool_uses_its_member(client, server):
    number = simulator_number(client)
    pool = client.create_pool(OriginationIdentity=number["PhoneNumberId"], IsoCountryCode="US",
                              MessageType="TRANSACTIONAL")
    message_id = client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="pool",
                                          OriginationIdentity=pool["PoolId"])["MessageId"]
    assert final_events(server, message_id)[0]["originationPhoneNumber"] == number["PhoneNumber"]


def test_pool_with_shared_routes_sends_through_the_shared_route_where_no_member_fits(client, server):
    """SharedRoutesEnabled: "your messages are sent using phone numbers or sender IDs (depending on the country)
    that are shared with other users" -- not in countries such as the US, and with the pool's opt-out list."""
    number = simulator_number(client)
    client.create_opt_out_list(OptOutListName="pool-list")
    pool = client.create_pool(OriginationIdentity=number["PhoneNumberId"], IsoCountryCode="US",
                              MessageType="TRANSACTIONAL")
    client.update_pool(PoolId=pool["PoolId"], OptOutListName="pool-list")
    error = refused(client.send_text_message, DestinationPhoneNumber=GB_SUCCESS, MessageBody="x",
                    OriginationIdentity=pool["PoolId"])
    assert error["Reason"] == "INVALID_IDENTITY_FOR_DESTINATION_COUNTRY"  # shared routes are off by default
    client.update_pool(PoolId=pool["PoolId"], SharedRoutesEnabled=True)
    message_id = client.send_text_message(DestinationPhoneNumber=GB_SUCCESS, MessageBody="x",
                                          OriginationIdentity=pool["PoolArn"])["MessageId"]
    record = final_events(server, message_id)[-1]
    assert (record["eventType"], record["originationPhoneNumber"]) == ("TEXT_DELIVERED", "NOTICE")
    client.put_opted_out_number(OptOutListName="pool-list", OptedOutNumber=GB_SUCCESS)
    error = refused(client.send_text_message, DestinationPhoneNumber=GB_SUCCESS, MessageBody="x",
                    OriginationIdentity=pool["PoolId"])
    assert (error["Reason"], error["ResourceId"]) == ("DESTINATION_PHONE_NUMBER_OPTED_OUT", "pool-list")
    error = refused(client.send_text_message, DestinationPhoneNumber="+12065550123", MessageBody="x",
                    OriginationIdentity=pool["PoolId"])
    assert error["Reason"] == "INVALID_IDENTITY_FOR_DESTINATION_COUNTRY"  # no shared routes to the US


def test_no_identity_given_picks_the_accounts_simulator_number(client, server):
    number = simulator_number(client)
    message_id = client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="auto")["MessageId"]
    assert final_events(server, message_id)[0]["originationPhoneNumber"] == number["PhoneNumber"]


def test_no_identity_to_a_sender_id_country_uses_the_configuration_set_default(client, server, account_id):
    client.create_configuration_set(ConfigurationSetName="brand")
    client.set_default_sender_id(ConfigurationSetName="brand", SenderId="ACME")
    message_id = client.send_text_message(DestinationPhoneNumber=GB_SUCCESS, MessageBody="hello",
                                          ConfigurationSetName="brand")["MessageId"]
    record = final_events(server, message_id)[-1]
    assert (record["originationPhoneNumber"], record["isoCountryCode"]) == ("ACME", "GB")
    [message] = messages(server, account=account_id)
    assert (message["ConfigurationSetName"], message["OriginationIdentity"]) == ("brand", "ACME")


def test_no_identity_for_a_us_destination_is_refused(client):
    error = refused(client.send_text_message, DestinationPhoneNumber="+12065550123", MessageBody="x")
    assert (error["Code"], error["Reason"]) == ("ConflictException", "NO_ORIGINATION_IDENTITIES_FOUND")


def test_simulator_number_only_reaches_simulator_destinations(client, server, account_id):
    number = simulator_number(client)
    error = refused(client.send_text_message, DestinationPhoneNumber="+12065550123", MessageBody="x",
                    OriginationIdentity=number["PhoneNumberId"])
    assert (error["Code"], error["Reason"]) == ("ValidationException", "INVALID_IDENTITY_FOR_DESTINATION_COUNTRY")
    error = refused(client.send_text_message, DestinationPhoneNumber=GB_SUCCESS, MessageBody="x",
                    OriginationIdentity=number["PhoneNumberId"])
    assert error["Reason"] == "INVALID_IDENTITY_FOR_DESTINATION_COUNTRY"
    assert messages(server, account=account_id) == []


def test_unknown_identity_and_configuration_set_are_not_found(client):
    error = refused(client.send_text_message, DestinationPhoneNumber=US_SUCCESS, MessageBody="x",
                    OriginationIdentity="phone-00000000000000000000000000000000")
    assert (error["Code"], error["ResourceType"]) == ("ResourceNotFoundException", "phone-number")
    error = refused(client.send_text_message, DestinationPhoneNumber=US_SUCCESS, MessageBody="x",
                    ConfigurationSetName="nope")
    assert (error["Code"], error["ResourceType"]) == ("ResourceNotFoundException", "configuration-set")


def test_invalid_destination_is_a_validation_error(client):
    error = refused(client.send_text_message, DestinationPhoneNumber="+19999999999", MessageBody="x")
    assert (error["Code"], error["Fields"][0]["Name"]) == ("ValidationException", "DestinationPhoneNumber")


def test_opted_out_destination_is_refused(client, server, account_id):
    number = simulator_number(client)
    client.put_opted_out_number(OptOutListName="Default", OptedOutNumber=US_SUCCESS)
    error = refused(client.send_text_message, DestinationPhoneNumber=US_SUCCESS, MessageBody="x",
                    OriginationIdentity=number["PhoneNumberId"])
    assert (error["Code"], error["Reason"]) == ("ConflictException", "DESTINATION_PHONE_NUMBER_OPTED_OUT")
    assert messages(server, account=account_id) == []


def test_sandbox_sends_only_to_verified_or_simulator_destinations(client, server, account_id):
    number = simulator_number(client)
    requests.put(f"{server.url}/_pigeon/accounts/{account_id}", json={"AccountTier": "SANDBOX"},
                 timeout=5).raise_for_status()
    client.create_pool(OriginationIdentity=number["PhoneNumberId"], IsoCountryCode="US",
                       MessageType="TRANSACTIONAL")
    sender = client.request_sender_id(SenderId="ACME", IsoCountryCode="GB")
    error = refused(client.send_text_message, DestinationPhoneNumber="+447400123456", MessageBody="x",
                    OriginationIdentity=sender["SenderIdArn"])
    assert (error["Code"], error["Reason"]) == ("ConflictException", "DESTINATION_PHONE_NUMBER_NOT_VERIFIED")
    message_id = client.send_text_message(DestinationPhoneNumber=GB_SUCCESS, MessageBody="x",
                                          OriginationIdentity=sender["SenderIdArn"])["MessageId"]
    assert final_events(server, message_id)[-1]["eventType"] == "TEXT_DELIVERED"


def test_max_price_below_the_price_is_refused(client, server, account_id):
    number = simulator_number(client)
    error = refused(client.send_text_message, DestinationPhoneNumber=US_SUCCESS, MessageBody="x" * 200,
                    OriginationIdentity=number["PhoneNumberId"], MaxPrice="0.01")
    assert (error["Code"], error["Reason"]) == ("ValidationException", "PRICE_OVER_THRESHOLD")
    assert error["Fields"][0]["Name"] == "MaxPrice"
    client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="x" * 200,
                             OriginationIdentity=number["PhoneNumberId"], MaxPrice="0.02")
    assert len(messages(server, account=account_id)) == 1


def test_monthly_spend_limit_stops_sending(client, server):
    number = simulator_number(client)
    client.set_text_message_spend_limit_override(MonthlyLimit=0)
    error = refused(client.send_text_message, DestinationPhoneNumber=US_SUCCESS, MessageBody="x",
                    OriginationIdentity=number["PhoneNumberId"])
    assert (error["Code"], error["Reason"]) == ("ServiceQuotaExceededException",
                                                "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT")


def test_spend_is_booked_and_the_limit_counts_it(client, server):
    """With a USD 1 limit and USD 0.00581 a part (simulator numbers pay no carrier fee), 1,000-character
    bodies (7 parts) run it out after 24 messages: spend is booked when the carrier takes a message."""
    number = simulator_number(client)
    client.set_text_message_spend_limit_override(MonthlyLimit=1)
    body = "y" * 1000
    sent = []
    with pytest.raises(ClientError) as excinfo:
        for _ in range(40):
            sent.append(client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody=body,
                                                 OriginationIdentity=number["PhoneNumberId"])["MessageId"])
            final_events(server, sent[-1])
    assert error_of(excinfo)["Reason"] == "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"
    assert len(sent) == 24  # 24 x 7 x 0.00581 = 0.976; the 25th would pass USD 1


def test_dry_run_is_checked_but_not_sent(client, server, account_id):
    number = simulator_number(client)
    response = client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="x", DryRun=True,
                                        OriginationIdentity=number["PhoneNumberId"])
    assert response["MessageId"]
    error = refused(client.send_text_message, DestinationPhoneNumber="+12065550123", MessageBody="x",
                    DryRun=True, OriginationIdentity=number["PhoneNumberId"])
    assert error["Code"] == "ValidationException"
    time.sleep(0.3)
    assert messages(server, account=account_id) == []
    assert events(server, account=account_id) == []


def test_protect_configuration_blocks_a_country_with_a_final_event(client, server):
    protect_id = client.create_protect_configuration()["ProtectConfigurationId"]
    client.update_protect_configuration_country_rule_set(
        ProtectConfigurationId=protect_id, NumberCapability="SMS",
        CountryRuleSetUpdates={"GB": {"ProtectStatus": "BLOCK"}})
    blocked = client.send_text_message(DestinationPhoneNumber=GB_SUCCESS, MessageBody="x",
                                       ProtectConfigurationId=protect_id)["MessageId"]
    [record] = final_events(server, blocked)
    assert (record["eventType"], record["totalMessagePrice"]) == ("TEXT_PROTECT_BLOCKED", 0.0)
    assert record["protectConfiguration"] == {"protectConfigurationId": protect_id, "protectStatus": "BLOCK"}
    number = simulator_number(client)
    client.create_configuration_set(ConfigurationSetName="guarded")
    client.associate_protect_configuration(ProtectConfigurationId=protect_id, ConfigurationSetName="guarded")
    allowed = client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="x",
                                       OriginationIdentity=number["PhoneNumberId"],
                                       ConfigurationSetName="guarded")["MessageId"]
    records = final_events(server, allowed)
    assert [r["eventType"] for r in records] == ["TEXT_SUCCESSFUL", "TEXT_DELIVERED"]
    assert {r["protectConfiguration"]["protectStatus"] for r in records} == {"ALLOW"}


def test_inspection_lists_oldest_first_with_filters_and_a_limit(client, server, account_id):
    number = simulator_number(client)
    ids = [client.send_text_message(DestinationPhoneNumber=destination, MessageBody=str(n),
                                    OriginationIdentity=number["PhoneNumberId"])["MessageId"]
           for n, destination in enumerate([US_SUCCESS, US_FAILURE, US_SUCCESS])]
    assert [m["MessageId"] for m in messages(server, account=account_id)] == ids
    assert [m["MessageId"] for m in messages(server, account=account_id, destination=US_FAILURE)] == [ids[1]]
    assert [m["MessageId"] for m in messages(server, account=account_id, limit="2")] == ids[:2]
    assert messages(server, account=account_id, channel="VOICE") == []
    assert messages(server, account=account_id, origination=number["PhoneNumber"])[0]["MessageId"] == ids[0]


def test_identity_must_be_able_to_send_sms_to_that_country(client, server, account_id):
    voice_only = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                             NumberCapabilities=["VOICE"], NumberType="LONG_CODE")
    error = refused(client.send_text_message, DestinationPhoneNumber="+12065550123", MessageBody="x",
                    OriginationIdentity=voice_only["PhoneNumberId"])
    assert (error["Code"], error["Reason"]) == ("ConflictException", "NUMBER_CAPABILITIES_MISMATCH")
    british = client.request_phone_number(IsoCountryCode="GB", MessageType="TRANSACTIONAL",
                                          NumberCapabilities=["SMS"], NumberType="LONG_CODE")
    error = refused(client.send_text_message, DestinationPhoneNumber="+12065550123", MessageBody="x",
                    OriginationIdentity=british["PhoneNumber"])
    assert (error["Code"], error["Reason"]) == ("ValidationException", "INVALID_IDENTITY_FOR_DESTINATION_COUNTRY")
    error = refused(client.send_text_message, DestinationPhoneNumber="+12065550123", MessageBody="x")
    assert error["Reason"] == "NO_ORIGINATION_IDENTITIES_FOUND"  # neither number fits a US destination
    message_id = client.send_text_message(DestinationPhoneNumber="+447400123456", MessageBody="x")["MessageId"]
    assert final_events(server, message_id)[0]["originationPhoneNumber"] == british["PhoneNumber"]


def test_a_numbers_own_opt_out_list_applies(client):
    number = simulator_number(client)
    client.create_opt_out_list(OptOutListName="marketing")
    client.update_phone_number(PhoneNumberId=number["PhoneNumberId"], OptOutListName="marketing")
    client.put_opted_out_number(OptOutListName="Default", OptedOutNumber=US_SUCCESS)
    assert client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="x",
                                    OriginationIdentity=number["PhoneNumberId"])["MessageId"]
    client.put_opted_out_number(OptOutListName="marketing", OptedOutNumber=US_SUCCESS)
    error = refused(client.send_text_message, DestinationPhoneNumber=US_SUCCESS, MessageBody="x",
                    OriginationIdentity=number["PhoneNumberId"])
    assert (error["Reason"], error["ResourceId"]) == ("DESTINATION_PHONE_NUMBER_OPTED_OUT", "marketing")


def test_missing_body_is_a_validation_error(unchecked_client):
    error = refused(unchecked_client.send_text_message, DestinationPhoneNumber=US_SUCCESS)
    assert (error["Code"], error["Reason"]) == ("ValidationException", "MISSING_PARAMETER")


def test_nul_in_free_text_members_is_a_validation_error(client, server, account_id):
    """Their patterns allow a NUL, but PostgreSQL cannot store one: refused on every backend, never a 500."""
    number = simulator_number(client)
    for extra, field in (({"MessageBody": "a\x00b"}, "MessageBody"),
                         ({"Keyword": "k\x00"}, "Keyword"),
                         ({"Context": {"order": "4\x002"}}, "Context.order"),
                         ({"DestinationCountryParameters": {"IN_ENTITY_ID": "e\x00"}},
                          "DestinationCountryParameters.IN_ENTITY_ID")):
        error = refused(client.send_text_message, DestinationPhoneNumber=US_SUCCESS,
                        OriginationIdentity=number["PhoneNumberId"], **{"MessageBody": "x", **extra})
        assert (error["Code"], error["Reason"], error["Fields"][0]["Name"]) == (
            "ValidationException", "FIELD_VALIDATION_FAILED", field)
    assert messages(server, account=account_id) == []
