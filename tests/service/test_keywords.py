"""Keywords on phone numbers and pools through boto3 against a real server (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.conftest import make_client, new_account_id
from tests.support.errors import error_of
from tests.support.server import PigeonServer


def _error(call, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


def _number(client):
    return client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                       NumberCapabilities=["SMS"], NumberType="TOLL_FREE")


def _pool(client):
    number = _number(client)
    return client.create_pool(OriginationIdentity=number["PhoneNumberId"], IsoCountryCode="US",
                              MessageType="TRANSACTIONAL")


def _keywords(client, identity, **kwargs):
    page = client.describe_keywords(OriginationIdentity=identity, **kwargs)
    return {item["Keyword"]: (item["KeywordAction"], item["KeywordMessage"]) for item in page["Keywords"]}


@pytest.fixture
def number(client):
    return _number(client)


def test_a_new_number_lists_help_and_stop(client, number):
    described = client.describe_keywords(OriginationIdentity=number["PhoneNumberArn"])
    assert (described["OriginationIdentity"], described["OriginationIdentityArn"]) == (
        number["PhoneNumberId"], number["PhoneNumberArn"])
    actions = {item["Keyword"]: item["KeywordAction"] for item in described["Keywords"]}
    assert actions == {"HELP": "AUTOMATIC_RESPONSE", "STOP": "OPT_OUT"}
    assert all(item["KeywordMessage"] for item in described["Keywords"])


def test_put_keyword_creates_and_updates(client, number):
    identity = number["PhoneNumberId"]
    put = client.put_keyword(OriginationIdentity=identity, Keyword="JOIN", KeywordMessage="Welcome!",
                             KeywordAction="OPT_IN")
    assert (put["OriginationIdentity"], put["OriginationIdentityArn"]) == (identity, number["PhoneNumberArn"])
    assert (put["Keyword"], put["KeywordMessage"], put["KeywordAction"]) == ("JOIN", "Welcome!", "OPT_IN")
    assert _keywords(client, identity)["JOIN"] == ("OPT_IN", "Welcome!")
    updated = client.put_keyword(OriginationIdentity=identity, Keyword="join", KeywordMessage="Hello again")
    assert (updated["Keyword"], updated["KeywordAction"]) == ("join", "OPT_IN")
    listed = _keywords(client, identity)
    assert listed["join"] == ("OPT_IN", "Hello again") and "JOIN" not in listed
    assert len(listed) == 3


def test_put_keyword_defaults_to_an_automatic_response(client, number):
    put = client.put_keyword(OriginationIdentity=number["PhoneNumberId"], Keyword="HOURS", KeywordMessage="9-5")
    assert put["KeywordAction"] == "AUTOMATIC_RESPONSE"


def test_help_and_stop_messages_can_change_but_not_their_action(client, number):
    identity = number["PhoneNumberId"]
    client.put_keyword(OriginationIdentity=identity, Keyword="HELP", KeywordMessage="Call 555-0199")
    client.put_keyword(OriginationIdentity=identity, Keyword="stop", KeywordMessage="Bye", KeywordAction="OPT_OUT")
    listed = _keywords(client, identity)
    assert listed["HELP"] == ("AUTOMATIC_RESPONSE", "Call 555-0199")
    assert listed["stop"] == ("OPT_OUT", "Bye")
    error = _error(client.put_keyword, OriginationIdentity=identity, Keyword="STOP", KeywordMessage="x",
                   KeywordAction="AUTOMATIC_RESPONSE")
    assert error.items() >= {"Code": "ConflictException", "Reason": "KEYWORD_MISMATCH",
                             "ResourceType": "keyword", "ResourceId": "STOP"}.items()


@pytest.mark.parametrize("keyword", ["HELP", "Stop"])
def test_help_and_stop_cannot_be_deleted(client, number, keyword):
    error = _error(client.delete_keyword, OriginationIdentity=number["PhoneNumberId"], Keyword=keyword)
    assert error.items() >= {"Code": "ConflictException", "Reason": "RESOURCE_DELETION_NOT_ALLOWED",
                             "ResourceType": "keyword", "ResourceId": keyword}.items()
    assert set(_keywords(client, number["PhoneNumberId"])) == {"HELP", "STOP"}


def test_delete_keyword_returns_it(client, number):
    identity = number["PhoneNumberId"]
    client.put_keyword(OriginationIdentity=identity, Keyword="PROMO", KeywordMessage="10% off")
    deleted = client.delete_keyword(OriginationIdentity=number["PhoneNumberArn"], Keyword="promo")
    assert (deleted["Keyword"], deleted["KeywordMessage"], deleted["KeywordAction"]) == (
        "PROMO", "10% off", "AUTOMATIC_RESPONSE")
    assert deleted["OriginationIdentity"] == identity
    assert set(_keywords(client, identity)) == {"HELP", "STOP"}


def test_delete_unknown_keyword_is_not_found(client, number):
    error = _error(client.delete_keyword, OriginationIdentity=number["PhoneNumberId"], Keyword="NOPE")
    assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "keyword",
                             "ResourceId": "NOPE"}.items()


def test_keyword_with_surrounding_spaces_is_refused(client, number):
    error = _error(client.put_keyword, OriginationIdentity=number["PhoneNumberId"], Keyword=" JOIN",
                   KeywordMessage="x")
    assert error["Code"] == "ValidationException"
    assert error["Fields"][0]["Name"] == "Keyword"


def test_describe_named_keywords_and_an_unknown_one(client, number):
    identity = number["PhoneNumberId"]
    client.put_keyword(OriginationIdentity=identity, Keyword="JOIN", KeywordMessage="Hi", KeywordAction="OPT_IN")
    assert set(_keywords(client, identity, Keywords=["join", "HELP"])) == {"JOIN", "HELP"}
    error = _error(client.describe_keywords, OriginationIdentity=identity, Keywords=["JOIN", "MISSING"])
    assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "keyword",
                             "ResourceId": "MISSING"}.items()


def test_describe_filters_by_keyword_action(client, number):
    identity = number["PhoneNumberId"]
    client.put_keyword(OriginationIdentity=identity, Keyword="JOIN", KeywordMessage="Hi", KeywordAction="OPT_IN")
    client.put_keyword(OriginationIdentity=identity, Keyword="QUIT", KeywordMessage="Bye", KeywordAction="OPT_OUT")

    def filtered(*values):
        return sorted(_keywords(client, identity, Filters=[{"Name": "keyword-action", "Values": list(values)}]))

    assert filtered("OPT_OUT") == ["QUIT", "STOP"]
    assert filtered("OPT_IN", "AUTOMATIC_RESPONSE") == ["HELP", "JOIN"]
    error = _error(client.describe_keywords, OriginationIdentity=identity,
                   Filters=[{"Name": "keyword-action", "Values": ["SHOUT"]}])
    assert (error["Code"], error["Reason"]) == ("ValidationException", "INVALID_FILTER_VALUES")


def test_describe_pagination_walks_every_keyword_once(client, number):
    identity = number["PhoneNumberId"]
    for word in ("ALPHA", "BRAVO", "CHARLIE", "DELTA"):
        client.put_keyword(OriginationIdentity=identity, Keyword=word, KeywordMessage=word.lower())
    seen, token = [], None
    while True:
        page = client.describe_keywords(OriginationIdentity=identity, MaxResults=2,
                                        **({"NextToken": token} if token else {}))
        assert len(page["Keywords"]) <= 2
        seen += [item["Keyword"] for item in page["Keywords"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == ["ALPHA", "BRAVO", "CHARLIE", "DELTA", "HELP", "STOP"]


def test_pool_keywords(client):
    pool = _pool(client)
    put = client.put_keyword(OriginationIdentity=pool["PoolArn"], Keyword="JOIN", KeywordMessage="Pool hi",
                             KeywordAction="OPT_IN")
    assert (put["OriginationIdentity"], put["OriginationIdentityArn"]) == (pool["PoolId"], pool["PoolArn"])
    listed = _keywords(client, pool["PoolId"])
    assert listed["JOIN"] == ("OPT_IN", "Pool hi") and {"HELP", "STOP"} <= set(listed)
    assert client.delete_keyword(OriginationIdentity=pool["PoolId"], Keyword="JOIN")["Keyword"] == "JOIN"
    assert _error(client.delete_keyword, OriginationIdentity=pool["PoolId"], Keyword="HELP")["Reason"] == (
        "RESOURCE_DELETION_NOT_ALLOWED")


def test_unknown_origination_identities(client, account_id):
    for identity, resource_type in [("phone-00000000000000000000000000000000", "phone-number"),
                                    ("pool-00000000000000000000000000000000", "pool"),
                                    (f"arn:aws:sms-voice:us-east-1:{account_id}:pool/pool-x", "pool")]:
        error = _error(client.describe_keywords, OriginationIdentity=identity)
        assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceType": resource_type,
                                 "ResourceId": identity}.items()
        assert _error(client.put_keyword, OriginationIdentity=identity, Keyword="A", KeywordMessage="b")[
            "Code"] == "ResourceNotFoundException"


def test_another_accounts_number_is_not_found(client, server, number):
    other = make_client(server, new_account_id())
    error = _error(other.describe_keywords, OriginationIdentity=number["PhoneNumberArn"])
    assert (error["Code"], error["ResourceType"]) == ("ResourceNotFoundException", "phone-number")


def test_keyword_quotas_count_help_and_stop(tmp_path):
    config = tmp_path / "pigeon.yaml"
    config.write_text("quotas:\n  KEYWORDS_PER_PHONE_NUMBER: 3\n  KEYWORDS_PER_POOL: 3\n")
    server = PigeonServer(extra_args=["--config", str(config)]).start()
    try:
        client = make_client(server, new_account_id())
        for identity, reason in [(_number(client)["PhoneNumberId"], "KEYWORDS_PER_PHONE_NUMBER"),
                                 (_pool(client)["PoolId"], "KEYWORDS_PER_POOL")]:
            client.put_keyword(OriginationIdentity=identity, Keyword="ONE", KeywordMessage="1")
            client.put_keyword(OriginationIdentity=identity, Keyword="ONE", KeywordMessage="updated")
            client.put_keyword(OriginationIdentity=identity, Keyword="HELP", KeywordMessage="still fine")
            error = _error(client.put_keyword, OriginationIdentity=identity, Keyword="TWO", KeywordMessage="2")
            assert (error["Code"], error["Reason"]) == ("ServiceQuotaExceededException", reason)
    finally:
        server.stop()


def test_cli_puts_and_describes_keywords(aws_cli):
    number = aws_cli("request-phone-number", "--iso-country-code", "US", "--message-type", "TRANSACTIONAL",
                     "--number-capabilities", "SMS", "--number-type", "TOLL_FREE")
    aws_cli("put-keyword", "--origination-identity", number["PhoneNumberId"], "--keyword", "INFO",
            "--keyword-message", "Info here")
    described = aws_cli("describe-keywords", "--origination-identity", number["PhoneNumberId"])
    assert [item["Keyword"] for item in described["Keywords"]] == ["HELP", "INFO", "STOP"]
