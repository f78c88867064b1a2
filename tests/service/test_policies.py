"""Resource policies on phone numbers, sender IDs, pools and opt-out lists (boto3, SQLite and PostgreSQL),
and the pure evaluation helpers sending uses."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from pigeon.service import policies
from pigeon.store.resources import Record
from tests.conftest import make_client, new_account_id
from tests.support.errors import error_of

PARTNER = "210987654321"


def _error(call, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


def policy(resource_arn: str, *statements: dict, principal: object = PARTNER) -> str:
    default = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": ["sms-voice:SendTextMessage"],
               "Resource": resource_arn}
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements) or [default]})


def test_put_get_delete_on_an_opt_out_list(client):
    arn = client.create_opt_out_list(OptOutListName="shared")["OptOutListArn"]
    assert client.get_resource_policy(ResourceArn=arn)["Policy"] == "{}"
    document = policy(arn)
    put = client.put_resource_policy(ResourceArn=arn, Policy=document)
    assert put["ResourceArn"] == arn and put["Policy"] == document and put["CreatedTimestamp"].year >= 2024
    got = client.get_resource_policy(ResourceArn=arn)
    assert (got["Policy"], got["CreatedTimestamp"]) == (document, put["CreatedTimestamp"])
    deleted = client.delete_resource_policy(ResourceArn=arn)
    assert deleted["Policy"] == document and deleted["ResourceArn"] == arn
    assert client.get_resource_policy(ResourceArn=arn)["Policy"] == "{}"
    error = _error(client.delete_resource_policy, ResourceArn=arn)
    assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "policy", "ResourceId": arn}.items()


def test_the_default_opt_out_list_can_be_shared(client, account_id):
    arn = f"arn:aws:sms-voice:us-east-1:{account_id}:opt-out-list/Default"
    assert client.get_resource_policy(ResourceArn=arn)["Policy"] == "{}"
    client.put_resource_policy(ResourceArn=arn, Policy=policy(arn))
    assert client.get_resource_policy(ResourceArn=arn)["Policy"] == policy(arn)


def test_put_replaces_the_policy(client):
    arn = client.create_opt_out_list(OptOutListName="replaced")["OptOutListArn"]
    client.put_resource_policy(ResourceArn=arn, Policy=policy(arn))
    second = policy(arn, principal=["111111111111", "arn:aws:iam::222222222222:root"])
    client.put_resource_policy(ResourceArn=arn, Policy=second)
    assert client.get_resource_policy(ResourceArn=arn)["Policy"] == second


def test_phone_numbers_sender_ids_and_pools_can_be_shared(client):
    phone = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL", NumberCapabilities=["SMS"],
                                        NumberType="TOLL_FREE")
    sender = client.request_sender_id(SenderId="SHARED", IsoCountryCode="GB")
    pool = client.create_pool(OriginationIdentity=phone["PhoneNumberArn"], IsoCountryCode="US",
                              MessageType="TRANSACTIONAL")
    for arn in (phone["PhoneNumberArn"], sender["SenderIdArn"], pool["PoolArn"]):
        client.put_resource_policy(ResourceArn=arn, Policy=policy(arn))
        assert client.get_resource_policy(ResourceArn=arn)["Policy"] == policy(arn)
    described = client.describe_phone_numbers(PhoneNumberIds=[phone["PhoneNumberId"]])["PhoneNumbers"][0]
    assert not any(key.startswith("_") for key in described)
    client.update_phone_number(PhoneNumberId=phone["PhoneNumberId"], DeletionProtectionEnabled=True)
    assert client.get_resource_policy(ResourceArn=phone["PhoneNumberArn"])["Policy"] == policy(phone["PhoneNumberArn"])
    client.delete_resource_policy(ResourceArn=pool["PoolArn"])
    assert client.get_resource_policy(ResourceArn=pool["PoolArn"])["Policy"] == "{}"


def test_other_resource_types_cannot_have_a_policy(client):
    arn = client.create_configuration_set(ConfigurationSetName="private")["ConfigurationSetArn"]
    error = _error(client.put_resource_policy, ResourceArn=arn, Policy=policy(arn))
    assert error.items() >= {"Code": "ValidationException", "Reason": "INVALID_ARN"}.items()
    assert error["Fields"][0]["Name"] == "ResourceArn"
    protect_arn = client.create_protect_configuration()["ProtectConfigurationArn"]
    error = _error(client.get_resource_policy, ResourceArn=protect_arn)
    assert error.items() >= {"Code": "ValidationException", "Reason": "INVALID_ARN"}.items()


def test_unknown_or_foreign_resources_are_not_found(client, server, account_id):
    missing = f"arn:aws:sms-voice:us-east-1:{account_id}:pool/pool-{'0' * 32}"
    error = _error(client.get_resource_policy, ResourceArn=missing)
    assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "pool", "ResourceId": missing}.items()
    error = _error(client.get_resource_policy, ResourceArn=f"arn:aws:sms-voice:us-east-1:{account_id}:opt-out-list/nope")
    assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "opt-out-list"}.items()
    arn = client.create_opt_out_list(OptOutListName="mine")["OptOutListArn"]
    stranger = make_client(server, new_account_id())
    error = _error(stranger.put_resource_policy, ResourceArn=arn, Policy=policy(arn))
    assert error.items() >= {"Code": "ResourceNotFoundException", "ResourceId": arn}.items()
    error = _error(client.get_resource_policy, ResourceArn="arn:aws:sns:us-east-1:123456789012:topic/x")
    assert error.items() >= {"Code": "ValidationException", "Reason": "INVALID_ARN"}.items()


@pytest.mark.parametrize("document, reason, where", [
    ("not json", "CANNOT_PARSE", "$"),
    ("[]", "INVALID_PARAMETER", "$"),
    ('{"Statement": []}', "INVALID_PARAMETER", "Version"),
    ('{"Version": "2012-10-17", "Statement": []}', "INVALID_PARAMETER", "Statement"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe"}], "Extra": 1}', "INVALID_PARAMETER", "Extra"),
])
def test_malformed_documents_are_invalid(client, document, reason, where):
    arn = client.create_opt_out_list(OptOutListName="checked")["OptOutListArn"]
    error = _error(client.put_resource_policy, ResourceArn=arn, Policy=document)
    assert error.items() >= {"Code": "ValidationException", "Reason": reason}.items()
    assert error["Fields"][0]["Name"] == "Policy" and error["Fields"][0]["Message"].startswith(where)
    assert client.get_resource_policy(ResourceArn=arn)["Policy"] == "{}"


@pytest.mark.parametrize("document", [
    "[" * 4000 + "]" * 4000,
    '{"Version": "2012-10-17", "Statement": ' + '{"a":' * 1500 + "1" + "}" * 1501,
    '{"Version": "2012-10-17", "Statement": [{"Effect": NaN}]}',
], ids=["nested-arrays", "nested-objects", "nan"])
def test_deeply_nested_or_nan_documents_cannot_be_parsed(client, document):
    """Within the 10,000 characters a document may nest deeper than Python's recursion limit (that was a 500),
    and NaN is not JSON."""
    arn = client.create_opt_out_list(OptOutListName="nested")["OptOutListArn"]
    error = _error(client.put_resource_policy, ResourceArn=arn, Policy=document)
    assert error.items() >= {"Code": "ValidationException", "Reason": "CANNOT_PARSE"}.items()
    assert error["Fields"][0]["Name"] == "Policy"


@pytest.mark.parametrize("change, where", [
    ({"Effect": "Permit"}, "Statement[0].Effect"),
    ({"Principal": {"Service": "sns.amazonaws.com"}}, "Statement[0].Principal"),
    ({"Principal": {"AWS": "12345"}}, "Statement[0].Principal.AWS[0]"),
    ({"Action": ["sms-voice:SendTextMessage", "sns:Publish"]}, "Statement[0].Action[1]"),
    ({"Action": "sms-voice:Fly*"}, "Statement[0].Action[0]"),
    ({"Action": []}, "Statement[0].Action"),
    ({"Resource": "arn:aws:sms-voice:us-east-1:123456789012:pool/other"}, "Statement[0].Resource[0]"),
    ({"NotAction": "sms-voice:*"}, "Statement[0].NotAction"),
])
def test_malformed_statements_name_the_element(client, change, where):
    arn = client.create_opt_out_list(OptOutListName="statements")["OptOutListArn"]
    statement = {"Effect": "Allow", "Principal": {"AWS": PARTNER}, "Action": "sms-voice:*", "Resource": arn, **change}
    error = _error(client.put_resource_policy, ResourceArn=arn, Policy=policy(arn, statement))
    assert error.items() >= {"Code": "ValidationException", "Reason": "INVALID_PARAMETER"}.items()
    assert error["Fields"][0]["Message"].startswith(where + ":")


def test_missing_statement_element_is_named(client):
    arn = client.create_opt_out_list(OptOutListName="incomplete")["OptOutListArn"]
    statement = {"Effect": "Allow", "Action": "sms-voice:*", "Resource": arn}
    error = _error(client.put_resource_policy, ResourceArn=arn, Policy=policy(arn, statement))
    assert error["Fields"][0]["Message"].startswith("Statement[0].Principal: is required")


def test_wildcards_and_iam_principals_are_accepted(client):
    arn = client.create_opt_out_list(OptOutListName="wild")["OptOutListArn"]
    statement = {"Sid": "share", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", PARTNER]},
                 "Action": ["sms-voice:Send*", "sms-voice:describeoptedoutnumbers"],
                 "Resource": arn.rsplit(":", 1)[0] + ":opt-out-list/*", "Condition": {"StringEquals": {"a": "b"}}}
    document = json.dumps({"Version": "2012-10-17", "Statement": statement})
    assert client.put_resource_policy(ResourceArn=arn, Policy=document)["Policy"] == document


# --- the helpers sending uses (pure functions over a record) -----------------------------------

OWNER = "123456789012"
ARN = f"arn:aws:sms-voice:us-east-1:{OWNER}:phone-number/phone-{'a' * 32}"


def _shared(*statements: dict) -> Record:
    parsed = policies.parse(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}), ARN)
    data = {"_PolicyStatements": parsed, "_SharedWith": policies._shared_with(parsed, OWNER)}
    return Record("phone-number", ARN.rsplit("/", 1)[1], "", ARN, 0.0, data, account_id=OWNER, region="us-east-1")


def test_allows_the_owner_and_the_accounts_a_policy_names():
    record = _shared({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"},
                      "Action": "sms-voice:Send*", "Resource": ARN})
    assert policies.allows(record, OWNER, "DeleteKeyword")
    assert policies.allows(record, PARTNER, "SendTextMessage")
    assert policies.allows(record, PARTNER, "sms-voice:SendVoiceMessage")
    assert not policies.allows(record, PARTNER, "ReleasePhoneNumber")
    assert not policies.allows(record, "999999999999", "SendTextMessage")
    assert policies.shared_with(record) == {PARTNER}


def test_deny_wins_over_allow_and_star_shares_with_everyone():
    record = _shared({"Effect": "Allow", "Principal": "*", "Action": "sms-voice:*", "Resource": ARN},
                     {"Effect": "Deny", "Principal": {"AWS": PARTNER}, "Action": "sms-voice:SendMediaMessage",
                      "Resource": ARN})
    assert policies.allows(record, "999999999999", "SendMediaMessage")
    assert policies.allows(record, PARTNER, "SendTextMessage")
    assert not policies.allows(record, PARTNER, "SendMediaMessage")
    assert policies.shared_with(record) == {"*"}


def test_a_record_without_policy_is_shared_with_nobody():
    record = Record("pool", "pool-1", "", ARN, 0.0, {}, account_id=OWNER, region="us-east-1")
    assert policies.shared_with(record) == set()
    assert not policies.allows(record, PARTNER, "SendTextMessage")
    assert policies.allows(record, OWNER, "SendTextMessage")
