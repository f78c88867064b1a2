"""Handset replies against a real server: reserved and custom keywords, opt-out and opt-in, automatic
responses as real outbound messages, and the errors of POST /_pigeon/inbound."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from tests.inbound.support import HANDSET, OTHER_HANDSET, inbound, inbound_list, messages, post_inbound, us_number
from tests.messaging.support import final_events
from tests.support.errors import error_of


def send(client: Any, number: dict[str, Any], handset: str = HANDSET, body: str = "Your order shipped") -> str:
    return client.send_text_message(OriginationIdentity=number["PhoneNumberId"], DestinationPhoneNumber=handset,
                                    MessageBody=body)["MessageId"]


def refusal(client: Any, number: dict[str, Any], handset: str = HANDSET) -> dict[str, Any]:
    with pytest.raises(ClientError) as excinfo:
        send(client, number, handset)
    return error_of(excinfo)


def opted_out(client: Any, list_name: str = "Default") -> list[dict[str, Any]]:
    return client.describe_opted_out_numbers(OptOutListName=list_name)["OptedOutNumbers"]


def test_stop_opts_the_handset_out_and_the_next_send_is_refused(client, server, account_id):
    number = us_number(client, server)
    send(client, number)
    result = inbound(server, HANDSET, number["PhoneNumber"], "stop")
    assert (result["Keyword"], result["KeywordAction"], result["OptOut"]) == ("STOP", "OPT_OUT", "OPTED_OUT")
    assert (result["AccountId"], result["PhoneNumberId"]) == (account_id, number["PhoneNumberId"])
    [entry] = opted_out(client)
    assert (entry["OptedOutNumber"], entry["EndUserOptedOut"]) == (HANDSET, True)
    error = refusal(client, number)
    assert (error["Code"], error["Reason"]) == ("ConflictException", "DESTINATION_PHONE_NUMBER_OPTED_OUT")
    send(client, number, OTHER_HANDSET)  # only the handset that wrote is opted out
    confirmation = [m for m in messages(server, account=account_id, destination=HANDSET)
                    if m["MessageId"] == result["ResponseMessageId"]]
    assert confirmation[0]["MessageBody"].startswith("You are unsubscribed")
    assert confirmation[0]["OriginationIdentity"] == number["PhoneNumber"]


@pytest.mark.parametrize("body", ["Unsubscribe", "quit please", "OPT-OUT", "arret"])
def test_required_opt_out_words_opt_out_with_the_stop_message(client, server, body):
    number = us_number(client, server)
    client.put_keyword(OriginationIdentity=number["PhoneNumberId"], Keyword="STOP", KeywordMessage="Bye from Acme.")
    result = inbound(server, HANDSET, number["PhoneNumber"], body)
    assert (result["KeywordAction"], result["OptOut"]) == ("OPT_OUT", "OPTED_OUT")
    [reply] = [m for m in messages(server, destination=HANDSET) if m["MessageId"] == result["ResponseMessageId"]]
    assert reply["MessageBody"] == "Bye from Acme."
    assert refusal(client, number)["Reason"] == "DESTINATION_PHONE_NUMBER_OPTED_OUT"


@pytest.mark.parametrize("word", ["START", "unstop"])
def test_start_and_unstop_opt_back_in_and_sending_works(client, server, word):
    number = us_number(client, server)
    inbound(server, HANDSET, number["PhoneNumber"], "STOP")
    assert refusal(client, number)["Reason"] == "DESTINATION_PHONE_NUMBER_OPTED_OUT"
    result = inbound(server, HANDSET, number["PhoneNumber"], word)
    assert (result["KeywordAction"], result["OptOut"]) == ("OPT_IN", "OPTED_IN")
    assert opted_out(client) == []
    message_id = send(client, number)
    assert [e["eventType"] for e in final_events(server, message_id)][-1] == "TEXT_DELIVERED"


def test_help_gets_the_configured_answer_as_a_real_message(client, server, account_id):
    number = us_number(client, server)
    client.put_keyword(OriginationIdentity=number["PhoneNumberId"], Keyword="HELP",
                       KeywordMessage="Acme support: call 206-555-0199.")
    result = inbound(server, HANDSET, number["PhoneNumber"], "Help me")
    assert (result["Keyword"], result["KeywordAction"], result["OptOut"]) == ("HELP", "AUTOMATIC_RESPONSE", None)
    [reply] = messages(server, account=account_id, destination=HANDSET)
    assert reply["MessageId"] == result["ResponseMessageId"]
    assert (reply["MessageBody"], reply["OriginationIdentity"]) == ("Acme support: call 206-555-0199.",
                                                                    number["PhoneNumber"])
    records = final_events(server, reply["MessageId"])
    assert [r["eventType"] for r in records] == ["TEXT_SUCCESSFUL", "TEXT_DELIVERED"]
    assert records[0]["destinationPhoneNumber"] == HANDSET
    assert opted_out(client) == []


def test_custom_keywords_on_a_pool_apply_to_its_numbers(client, server, account_id):
    number = us_number(client, server)
    pool = client.create_pool(OriginationIdentity=number["PhoneNumberId"], IsoCountryCode="US",
                              MessageType="TRANSACTIONAL")
    client.create_opt_out_list(OptOutListName="pool-list")
    client.update_pool(PoolId=pool["PoolId"], OptOutListName="pool-list")
    client.put_keyword(OriginationIdentity=pool["PoolId"], Keyword="JOIN", KeywordMessage="Welcome to Acme deals!")
    client.put_keyword(OriginationIdentity=pool["PoolId"], Keyword="ENOUGH", KeywordMessage="No more deals.",
                       KeywordAction="OPT_OUT")
    joined = inbound(server, HANDSET, number["PhoneNumber"], "join")
    assert (joined["Keyword"], joined["PoolId"], joined["OptOut"]) == ("JOIN", pool["PoolId"], None)
    [reply] = messages(server, account=account_id, destination=HANDSET)
    assert (reply["MessageBody"], reply["OriginationIdentity"]) == ("Welcome to Acme deals!", number["PhoneNumber"])
    left = inbound(server, HANDSET, number["PhoneNumber"], "Enough already")
    assert (left["Keyword"], left["OptOut"], left["OptOutListName"]) == ("ENOUGH", "OPTED_OUT", "pool-list")
    assert [n["OptedOutNumber"] for n in opted_out(client, "pool-list")] == [HANDSET]
    assert opted_out(client) == []
    with pytest.raises(ClientError) as excinfo:
        client.send_text_message(OriginationIdentity=pool["PoolId"], DestinationPhoneNumber=HANDSET, MessageBody="x")
    assert error_of(excinfo)["Reason"] == "DESTINATION_PHONE_NUMBER_OPTED_OUT"


def test_custom_opt_in_keyword_and_a_number_keyword_before_the_pool_one(client, server):
    number = us_number(client, server)
    pool = client.create_pool(OriginationIdentity=number["PhoneNumberId"], IsoCountryCode="US",
                              MessageType="TRANSACTIONAL")
    client.put_keyword(OriginationIdentity=pool["PoolId"], Keyword="INFO", KeywordMessage="Pool info")
    client.put_keyword(OriginationIdentity=number["PhoneNumberId"], Keyword="INFO", KeywordMessage="Number info")
    client.put_keyword(OriginationIdentity=number["PhoneNumberId"], Keyword="BACK", KeywordMessage="Welcome back",
                       KeywordAction="OPT_IN")
    info = inbound(server, HANDSET, number["PhoneNumber"], "info")
    [reply] = [m for m in messages(server, destination=HANDSET) if m["MessageId"] == info["ResponseMessageId"]]
    assert reply["MessageBody"] == "Number info"
    inbound(server, HANDSET, number["PhoneNumber"], "cancel")
    assert refusal(client, number)["Reason"] == "DESTINATION_PHONE_NUMBER_OPTED_OUT"
    back = inbound(server, HANDSET, number["PhoneNumber"], "back")
    assert (back["KeywordAction"], back["OptOut"]) == ("OPT_IN", "OPTED_IN")
    send(client, number)


def test_message_without_keyword_is_recorded_and_nothing_is_sent(client, server, account_id):
    number = us_number(client, server)
    previous = send(client, number)
    result = inbound(server, HANDSET, number["PhoneNumber"], "Thanks, see you at 5")
    assert (result["Keyword"], result["ResponseMessageId"], result["OptOut"]) == (None, None, None)
    assert result["MessageKeyword"] == f"KEYWORD_{account_id}"
    assert result["PreviousPublishedMessageId"] == previous
    assert result["Forwarded"] == [] and result["TwoWayEnabled"] is False
    assert [m["MessageId"] for m in messages(server, account=account_id)] == [previous]
    [listed] = inbound_list(server, account=account_id)
    assert listed["InboundMessageId"] == result["InboundMessageId"]
    assert (listed["OriginationNumber"], listed["MessageBody"]) == (HANDSET, "Thanks, see you at 5")


def test_inbound_list_is_oldest_first_and_filtered(client, server, account_id):
    first, second = us_number(client, server), us_number(client, server)
    inbound(server, HANDSET, first["PhoneNumber"], "one")
    inbound(server, OTHER_HANDSET, second["PhoneNumber"], "two")
    inbound(server, HANDSET, second["PhoneNumber"], "three")
    assert [m["MessageBody"] for m in inbound_list(server, account=account_id)] == ["one", "two", "three"]
    assert [m["MessageBody"] for m in inbound_list(server, destination=second["PhoneNumber"])] == ["two", "three"]
    assert [m["MessageBody"] for m in inbound_list(server, account=account_id, origination=HANDSET)] == ["one",
                                                                                                      "three"]
    assert inbound_list(server, account="000000000001") == []
    assert [m["MessageBody"] for m in inbound_list(server, account=account_id, limit="2")] == ["one", "two"]
    assert len(inbound_list(server, account=account_id, limit="many")) == 3  # not a number: the default


@pytest.mark.parametrize("criterion", ["account", "region", "destination", "origination"])
def test_inbound_list_filter_with_a_nul_is_a_validation_exception(server, criterion):
    response = requests.get(server.url + "/_pigeon/inbound", params={criterion: "+1\x00"}, timeout=10)
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["__type"], [f["Name"] for f in body["Fields"]]) == ("ValidationException", [criterion])


def test_unknown_destination_is_a_not_found_phone_number(server):
    response = post_inbound(server, HANDSET, "+12065559876", "hello")
    assert response.status_code == 404
    body = response.json()
    assert (body["__type"], body["ResourceType"], body["ResourceId"]) == ("ResourceNotFoundException",
                                                                          "phone-number", "+12065559876")


@pytest.mark.parametrize("document, field", [
    ({"DestinationNumber": "+12065550100", "MessageBody": "hi"}, "OriginationNumber"),
    ({"OriginationNumber": HANDSET, "DestinationNumber": "not-a-number", "MessageBody": "hi"}, "DestinationNumber"),
    ({"OriginationNumber": "12", "DestinationNumber": "+12065550100", "MessageBody": "hi"}, "OriginationNumber"),
    ({"OriginationNumber": HANDSET, "DestinationNumber": "+12065550100", "MessageBody": 5}, "MessageBody"),
    ({"OriginationNumber": HANDSET, "DestinationNumber": "+12065550100", "MessageBody": "x" * 1601}, "MessageBody"),
    ({"OriginationNumber": HANDSET, "DestinationNumber": "+12065550100", "MessageBody": "a\u0000b"}, "MessageBody"),
    ({"OriginationNumber": ["+1"], "DestinationNumber": "+12065550100", "MessageBody": "hi"}, "OriginationNumber"),
])
def test_bad_input_is_a_validation_exception(server, document, field):


    response = requests.post(server.url + "/_pigeon/inbound", json=document, timeout=10)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["__type"] == "ValidationException"
    assert [f["Name"] for f in body["Fields"]] == [field]


def test_body_that_is_not_a_json_object_is_a_validation_exception(server):


    for raw in (b"{nope", b"[1, 2]"):
        response = requests.post(server.url + "/_pigeon/inbound", data=raw, timeout=10)
        assert (response.status_code, response.json()["__type"]) == (400, "ValidationException")


def test_concurrent_stops_from_one_handset_all_succeed(client, server, account_id):
    from concurrent.futures import ThreadPoolExecutor

    number = us_number(client, server)
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: post_inbound(server, HANDSET, number["PhoneNumber"], "STOP"), range(8)))
    assert [r.status_code for r in responses] == [200] * 8, [r.text for r in responses if r.status_code != 200]
    assert [n["OptedOutNumber"] for n in opted_out(client)] == [HANDSET]
    assert len(inbound_list(server, account=account_id)) == 8


def test_concurrent_stops_and_starts_from_one_handset_all_succeed(client, server, account_id):
    from concurrent.futures import ThreadPoolExecutor

    number = us_number(client, server)
    bodies = ["STOP", "START"] * 16
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda body: post_inbound(server, HANDSET, number["PhoneNumber"], body), bodies))
    assert [r.status_code for r in responses] == [200] * len(bodies), [r.text for r in responses
                                                                      if r.status_code != 200]
    assert len(inbound_list(server, account=account_id)) == len(bodies)


def test_self_managed_numbers_still_answer_custom_automatic_responses(client, server, account_id):
    number = us_number(client, server)
    client.update_phone_number(PhoneNumberId=number["PhoneNumberId"], SelfManagedOptOutsEnabled=True)
    client.put_keyword(OriginationIdentity=number["PhoneNumberId"], Keyword="HOURS", KeywordMessage="9 to 5")
    hours = inbound(server, HANDSET, number["PhoneNumber"], "hours?")
    help_ = inbound(server, HANDSET, number["PhoneNumber"], "help")
    stop = inbound(server, HANDSET, number["PhoneNumber"], "stop")
    assert [r["ResponseSkipped"] for r in (hours, help_, stop)] == [None, "SELF_MANAGED_OPT_OUTS",
                                                                    "SELF_MANAGED_OPT_OUTS"]
    assert [m["MessageBody"] for m in messages(server, account=account_id)] == ["9 to 5"]
    assert opted_out(client) == []


def test_an_inspection_body_over_a_mebibyte_is_refused_while_read(server):
    response = requests.post(server.url + "/_pigeon/inbound", data=b'{"MessageBody": "' + b"x" * (2 << 20) + b'"}',
                             headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 413
    assert response.json()["__type"] == "RequestEntityTooLargeException"
