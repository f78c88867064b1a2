"""Opt-out lists and opted-out numbers through boto3 against a real server (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.conftest import make_client, new_account_id
from tests.inbound.support import HANDSET, inbound, us_number
from tests.support.errors import error_of
from tests.support.server import PigeonServer

NUMBER = "+12065550100"


def _error(call, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


def _list_names(client, **kwargs):
    return [item["OptOutListName"] for item in client.describe_opt_out_lists(**kwargs)["OptOutLists"]]


def _numbers(client, name, **kwargs):
    page = client.describe_opted_out_numbers(OptOutListName=name, **kwargs)
    return [item["OptedOutNumber"] for item in page["OptedOutNumbers"]]


# --- lists -----------------------------------------------------------------------------------


def test_create_returns_arn_name_tags_and_timestamp(client, account_id):
    created = client.create_opt_out_list(OptOutListName="marketing", Tags=[{"Key": "team", "Value": "growth"}])
    assert created["OptOutListArn"] == f"arn:aws:sms-voice:us-east-1:{account_id}:opt-out-list/marketing"
    assert created["OptOutListName"] == "marketing"
    assert created["Tags"] == [{"Key": "team", "Value": "growth"}]
    assert created["CreatedTimestamp"].year >= 2024
    tags = client.list_tags_for_resource(ResourceArn=created["OptOutListArn"])["Tags"]
    assert tags == [{"Key": "team", "Value": "growth"}]


@pytest.mark.parametrize("name", ["dup", "Default"])
def test_create_refuses_an_existing_name_and_the_implicit_default(client, name):
    if name != "Default":
        client.create_opt_out_list(OptOutListName=name)
    assert _error(client.create_opt_out_list, OptOutListName=name).items() >= {
        "Code": "ConflictException", "Reason": "RESOURCE_ALREADY_EXISTS",
        "ResourceType": "opt-out-list", "ResourceId": name, "Status": 400}.items()


def test_default_list_exists_implicitly_and_is_listed_first(client, account_id):
    assert _list_names(client) == ["Default"]
    client.create_opt_out_list(OptOutListName="second")
    lists = client.describe_opt_out_lists()["OptOutLists"]
    assert [item["OptOutListName"] for item in lists] == ["Default", "second"]
    assert lists[0]["OptOutListArn"] == f"arn:aws:sms-voice:us-east-1:{account_id}:opt-out-list/Default"
    again = client.describe_opt_out_lists(OptOutListNames=["Default"])["OptOutLists"][0]
    assert again["CreatedTimestamp"] == lists[0]["CreatedTimestamp"]


def test_default_list_can_be_used_before_it_was_ever_described(client):
    assert _numbers(client, "Default") == []
    client.put_opted_out_number(OptOutListName="Default", OptedOutNumber=NUMBER)
    assert _numbers(client, "Default") == [NUMBER]
    assert _list_names(client) == ["Default"]


def test_describe_by_name_and_arn_and_unknown(client):
    arn = client.create_opt_out_list(OptOutListName="one")["OptOutListArn"]
    client.create_opt_out_list(OptOutListName="two")
    assert _list_names(client, OptOutListNames=["two", arn]) == ["one", "two"]
    assert _error(client.describe_opt_out_lists, OptOutListNames=["missing"]).items() >= {
        "Code": "ResourceNotFoundException", "ResourceType": "opt-out-list", "ResourceId": "missing"}.items()


def test_owner_self_and_shared(client):
    client.create_opt_out_list(OptOutListName="mine")
    assert _list_names(client, Owner="SELF") == ["Default", "mine"]
    assert _list_names(client, Owner="SHARED") == []


def test_owner_and_names_cannot_be_used_together(client):
    error = _error(client.describe_opt_out_lists, Owner="SELF", OptOutListNames=["Default"])
    assert (error["Code"], error["Reason"]) == ("ValidationException", "PARAMETERS_CANNOT_BE_USED_TOGETHER")
    assert {field["Name"] for field in error["Fields"]} == {"Owner", "OptOutListNames"}


def test_list_pagination_walks_every_list_once(client):
    for index in range(5):
        client.create_opt_out_list(OptOutListName=f"page-{index}")
    seen, token = [], None
    while True:
        page = client.describe_opt_out_lists(MaxResults=2, **({"NextToken": token} if token else {}))
        assert len(page["OptOutLists"]) <= 2
        seen += [item["OptOutListName"] for item in page["OptOutLists"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == ["Default"] + [f"page-{index}" for index in range(5)]


def test_delete_returns_the_list_and_forgets_its_numbers(client):
    created = client.create_opt_out_list(OptOutListName="gone")
    client.put_opted_out_number(OptOutListName="gone", OptedOutNumber=NUMBER)
    deleted = client.delete_opt_out_list(OptOutListName=created["OptOutListArn"])
    assert (deleted["OptOutListName"], deleted["OptOutListArn"]) == ("gone", created["OptOutListArn"])
    assert deleted["CreatedTimestamp"] == created["CreatedTimestamp"]
    assert _list_names(client) == ["Default"]
    client.create_opt_out_list(OptOutListName="gone")
    assert _numbers(client, "gone") == []


def test_delete_unknown_list_is_not_found(client):
    assert _error(client.delete_opt_out_list, OptOutListName="nope").items() >= {
        "Code": "ResourceNotFoundException", "ResourceType": "opt-out-list", "ResourceId": "nope"}.items()


def test_default_list_cannot_be_deleted(client):
    assert _error(client.delete_opt_out_list, OptOutListName="Default").items() >= {
        "Code": "ConflictException", "Reason": "RESOURCE_DELETION_NOT_ALLOWED",
        "ResourceType": "opt-out-list", "ResourceId": "Default"}.items()


def test_lists_are_counted_in_account_limits_and_isolated(client, server):
    client.create_opt_out_list(OptOutListName="counted")
    limits = {limit["Name"]: limit for limit in client.describe_account_limits()["AccountLimits"]}
    assert limits["OPT_OUT_LISTS"]["Used"] == 2  # Default and "counted"
    other = make_client(server, new_account_id())
    assert _list_names(other) == ["Default"]
    assert _error(other.describe_opt_out_lists, OptOutListNames=["counted"])["Code"] == "ResourceNotFoundException"


def test_list_quota_counts_the_default_list(tmp_path):
    config = tmp_path / "pigeon.yaml"
    config.write_text("quotas:\n  OPT_OUT_LISTS: 3\n")
    server = PigeonServer(extra_args=["--config", str(config)]).start()
    try:
        client = make_client(server, new_account_id())
        client.create_opt_out_list(OptOutListName="a")
        client.create_opt_out_list(OptOutListName="b")
        error = _error(client.create_opt_out_list, OptOutListName="c")
        assert (error["Code"], error["Reason"]) == ("ServiceQuotaExceededException", "OPT_OUT_LISTS_PER_ACCOUNT")
    finally:
        server.stop()


def test_cli_creates_and_describes(aws_cli):
    aws_cli("create-opt-out-list", "--opt-out-list-name", "cli-list")
    aws_cli("put-opted-out-number", "--opt-out-list-name", "cli-list", "--opted-out-number", NUMBER)
    described = aws_cli("describe-opted-out-numbers", "--opt-out-list-name", "cli-list")
    assert [item["OptedOutNumber"] for item in described["OptedOutNumbers"]] == [NUMBER]


# --- opted-out numbers -------------------------------------------------------------------------


def test_put_opted_out_number_returns_the_entry_and_is_idempotent(client, account_id):
    client.create_opt_out_list(OptOutListName="l")
    put = client.put_opted_out_number(OptOutListName="l", OptedOutNumber=NUMBER)
    assert put["OptOutListArn"] == f"arn:aws:sms-voice:us-east-1:{account_id}:opt-out-list/l"
    assert (put["OptOutListName"], put["OptedOutNumber"], put["EndUserOptedOut"]) == ("l", NUMBER, False)
    again = client.put_opted_out_number(OptOutListName="l", OptedOutNumber=NUMBER[1:])
    assert (again["OptedOutNumber"], again["OptedOutTimestamp"]) == (NUMBER, put["OptedOutTimestamp"])
    assert _numbers(client, "l") == [NUMBER]


def test_put_refuses_an_invalid_number_and_an_unknown_list(client):
    error = _error(client.put_opted_out_number, OptOutListName="Default", OptedOutNumber="+1234")
    assert (error["Code"], error["Reason"]) == ("ValidationException", "INVALID_PARAMETER")
    assert error["Fields"][0]["Name"] == "OptedOutNumber"
    assert _error(client.put_opted_out_number, OptOutListName="nope", OptedOutNumber=NUMBER).items() >= {
        "Code": "ResourceNotFoundException", "ResourceType": "opt-out-list", "ResourceId": "nope"}.items()


def test_delete_opted_out_number(client):
    put = client.put_opted_out_number(OptOutListName="Default", OptedOutNumber=NUMBER)
    deleted = client.delete_opted_out_number(OptOutListName="Default", OptedOutNumber=NUMBER)
    assert (deleted["OptOutListName"], deleted["OptedOutNumber"], deleted["EndUserOptedOut"]) == (
        "Default", NUMBER, False)
    assert deleted["OptedOutTimestamp"] >= put["OptedOutTimestamp"]
    assert _numbers(client, "Default") == []


def test_delete_opted_out_number_not_on_the_list(client):
    client.create_opt_out_list(OptOutListName="l")
    assert _error(client.delete_opted_out_number, OptOutListName="l", OptedOutNumber=NUMBER).items() >= {
        "Code": "ResourceNotFoundException", "ResourceType": "opted-out-number", "ResourceId": NUMBER}.items()
    assert _error(client.delete_opted_out_number, OptOutListName="nope", OptedOutNumber=NUMBER).items() >= {
        "Code": "ResourceNotFoundException", "ResourceType": "opt-out-list"}.items()


def test_a_number_can_be_deleted_only_once_every_30_days():
    server = PigeonServer().start()
    try:
        client = make_client(server, new_account_id())
        client.put_opted_out_number(OptOutListName="Default", OptedOutNumber=NUMBER)
        client.delete_opted_out_number(OptOutListName="Default", OptedOutNumber=NUMBER)
        client.put_opted_out_number(OptOutListName="Default", OptedOutNumber=NUMBER)
        error = _error(client.delete_opted_out_number, OptOutListName="Default", OptedOutNumber=NUMBER)
        assert (error["Code"], error["Reason"]) == ("ValidationException", "PHONE_NUMBER_CANNOT_BE_OPTED_IN")
        assert error["Fields"][0]["Name"] == "OptedOutNumber"
        assert _numbers(client, "Default") == [NUMBER]
        server.advance_clock(29 * 86400)
        assert _error(client.delete_opted_out_number, OptOutListName="Default", OptedOutNumber=NUMBER)["Code"] == (
            "ValidationException")
        server.advance_clock(2 * 86400)
        client.delete_opted_out_number(OptOutListName="Default", OptedOutNumber=NUMBER)
        assert _numbers(client, "Default") == []
    finally:
        server.stop()


def test_describe_numbers_in_number_order_with_pagination(client):
    numbers = [f"+1206555{index:04d}" for index in (7, 3, 9, 1, 5)]
    for number in numbers:
        client.put_opted_out_number(OptOutListName="Default", OptedOutNumber=number)
    seen, token = [], None
    while True:
        page = client.describe_opted_out_numbers(OptOutListName="Default", MaxResults=2,
                                                 **({"NextToken": token} if token else {}))
        assert page["OptOutListName"] == "Default" and len(page["OptedOutNumbers"]) <= 2
        seen += [item["OptedOutNumber"] for item in page["OptedOutNumbers"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == sorted(numbers)


def test_describe_named_numbers_and_a_number_not_on_the_list(client):
    for number in (NUMBER, "+12065550101", "+12065550102"):
        client.put_opted_out_number(OptOutListName="Default", OptedOutNumber=number)
    assert _numbers(client, "Default", OptedOutNumbers=["+12065550102", NUMBER]) == [NUMBER, "+12065550102"]
    assert _error(client.describe_opted_out_numbers, OptOutListName="Default",
                  OptedOutNumbers=[NUMBER, "+12065550199"]).items() >= {
        "Code": "ResourceNotFoundException", "ResourceType": "opted-out-number", "ResourceId": "+12065550199"}.items()


def test_describe_numbers_filtered_by_end_user_opted_out(client):
    client.put_opted_out_number(OptOutListName="Default", OptedOutNumber=NUMBER)

    def filtered(*values):
        return _numbers(client, "Default", Filters=[{"Name": "end-user-opted-out", "Values": list(values)}])

    assert filtered("false") == [NUMBER]
    assert filtered("true") == []
    assert filtered("true", "false") == [NUMBER]
    error = _error(client.describe_opted_out_numbers, OptOutListName="Default",
                   Filters=[{"Name": "end-user-opted-out", "Values": ["maybe"]}])
    assert (error["Code"], error["Reason"]) == ("ValidationException", "INVALID_FILTER_VALUES")


def test_describe_numbers_of_an_unknown_list(client):
    assert _error(client.describe_opted_out_numbers, OptOutListName="nope").items() >= {
        "Code": "ResourceNotFoundException", "ResourceType": "opt-out-list", "ResourceId": "nope"}.items()


# --- lists in use by phone numbers and pools (RequestPhoneNumber, CreatePool) -------------------------


def test_a_list_in_use_by_a_phone_number_cannot_be_deleted(client):
    client.create_opt_out_list(OptOutListName="numbers")
    number = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                         NumberCapabilities=["SMS"], NumberType="TOLL_FREE",
                                         OptOutListName="numbers")
    assert number["OptOutListName"] == "numbers"
    assert _error(client.delete_opt_out_list, OptOutListName="numbers").items() >= {
        "Code": "ConflictException", "Reason": "RESOURCE_DELETION_NOT_ALLOWED",
        "ResourceType": "opt-out-list", "ResourceId": "numbers"}.items()
    client.release_phone_number(PhoneNumberId=number["PhoneNumberId"])
    client.delete_opt_out_list(OptOutListName="numbers")


def test_a_list_in_use_by_a_pool_cannot_be_deleted(client):
    client.create_opt_out_list(OptOutListName="pooled")
    number = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                         NumberCapabilities=["SMS"], NumberType="TOLL_FREE")
    pool = client.create_pool(OriginationIdentity=number["PhoneNumberId"], IsoCountryCode="US",
                              MessageType="TRANSACTIONAL")
    client.update_pool(PoolId=pool["PoolId"], OptOutListName="pooled")
    assert _error(client.delete_opt_out_list, OptOutListName="pooled").items() >= {
        "Code": "ConflictException", "Reason": "RESOURCE_DELETION_NOT_ALLOWED", "ResourceId": "pooled"}.items()
    client.update_pool(PoolId=pool["PoolId"], OptOutListName="Default")
    client.delete_opt_out_list(OptOutListName="pooled")


def test_a_handsets_stop_is_an_end_user_opt_out_that_can_be_deleted(client, server):
    client.create_opt_out_list(OptOutListName="replies")
    number = us_number(client, OptOutListName="replies")
    client.put_opted_out_number(OptOutListName="replies", OptedOutNumber="+12065550199")
    inbound(server, HANDSET, number["PhoneNumber"], "stop")
    entry = client.describe_opted_out_numbers(OptOutListName="replies", OptedOutNumbers=[HANDSET])["OptedOutNumbers"]
    assert entry[0]["EndUserOptedOut"] is True
    end_users = _numbers(client, "replies", Filters=[{"Name": "end-user-opted-out", "Values": ["true"]}])
    assert end_users == [HANDSET]
    assert _numbers(client, "replies", Filters=[{"Name": "end-user-opted-out", "Values": ["false"]}]) == [
        "+12065550199"]
    deleted = client.delete_opted_out_number(OptOutListName="replies", OptedOutNumber=HANDSET)
    assert (deleted["OptedOutNumber"], deleted["EndUserOptedOut"]) == (HANDSET, True)
