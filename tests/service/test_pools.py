"""Pools and origination identity associations through boto3 against a real server (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.protocol.test_wire import TARGET, post
from tests.support.errors import error_of

CHANNEL = "arn:aws:sns:us-east-1:111122223333:inbound"


def number(client, **overrides):
    params = {"IsoCountryCode": "US", "MessageType": "TRANSACTIONAL", "NumberCapabilities": ["SMS"],
              "NumberType": "TOLL_FREE", **overrides}
    return client.request_phone_number(**params)


def pool_of(client, identity, iso="US", message_type="TRANSACTIONAL", **extra):
    return client.create_pool(OriginationIdentity=identity, IsoCountryCode=iso, MessageType=message_type, **extra)


def error(call, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


def test_create_inherits_the_number_configuration_but_not_deletion_protection(client, account_id):
    client.create_opt_out_list(OptOutListName="mine")
    made = number(client, OptOutListName="mine", DeletionProtectionEnabled=True)
    client.update_phone_number(PhoneNumberId=made["PhoneNumberId"], TwoWayEnabled=True, TwoWayChannelArn=CHANNEL,
                               SelfManagedOptOutsEnabled=True)
    pool = pool_of(client, made["PhoneNumberArn"], Tags=[{"Key": "a", "Value": "b"}])
    assert pool["PoolId"].startswith("pool-") and len(pool["PoolId"]) == 37
    assert pool["PoolArn"] == f"arn:aws:sms-voice:us-east-1:{account_id}:pool/{pool['PoolId']}"
    assert (pool["Status"], pool["MessageType"], pool["OptOutListName"], pool["TwoWayEnabled"],
            pool["TwoWayChannelArn"], pool["SelfManagedOptOutsEnabled"], pool["SharedRoutesEnabled"],
            pool["DeletionProtectionEnabled"]) == ("ACTIVE", "TRANSACTIONAL", "mine", True, CHANNEL, True, False, False)
    assert pool["Tags"] == [{"Key": "a", "Value": "b"}]
    described = client.describe_phone_numbers(PhoneNumberIds=[made["PhoneNumberId"]])["PhoneNumbers"][0]
    assert (described["PoolId"], described["Status"]) == (pool["PoolId"], "ACTIVE")


def test_create_inherits_keywords(client):
    made = number(client)
    client.put_keyword(OriginationIdentity=made["PhoneNumberId"], Keyword="HOURS", KeywordMessage="Open 9 to 5")
    pool = pool_of(client, made["PhoneNumberId"])
    words = [k["Keyword"] for k in client.describe_keywords(OriginationIdentity=pool["PoolId"])["Keywords"]]
    assert "HOURS" in words


def test_create_errors(client):
    made = number(client)
    mismatch = error(pool_of, client=client, identity=made["PhoneNumberId"], message_type="PROMOTIONAL")
    assert mismatch.items() >= {"Code": "ConflictException", "Reason": "MESSAGE_TYPE_MISMATCH",
                                "ResourceType": "phone-number", "ResourceId": made["PhoneNumberId"]}.items()
    country = error(pool_of, client=client, identity=made["PhoneNumberId"], iso="CA")
    assert (country["Code"], country["Reason"]) == ("ValidationException", "COUNTRY_CODE_MISMATCH")
    missing = error(pool_of, client=client, identity="phone-" + "2" * 32)
    assert missing.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "phone-number"}.items()
    pool_of(client, made["PhoneNumberId"])
    taken = error(pool_of, client=client, identity=made["PhoneNumberId"])
    assert (taken["Code"], taken["Reason"]) == ("ConflictException", "PHONE_NUMBER_ASSOCIATED_TO_POOL")


@pytest.mark.parametrize("operation", ["create_pool", "associate_origination_identity",
                                       "disassociate_origination_identity"])
def test_iso_country_code_the_reference_requires_is_a_missing_parameter(client, operation):
    made = number(client)
    kwargs = {"OriginationIdentity": made["PhoneNumberId"]}
    if operation == "create_pool":
        kwargs["MessageType"] = "TRANSACTIONAL"
    else:
        kwargs["PoolId"] = pool_of(client, number(client)["PhoneNumberId"])["PoolId"]
    found = error(getattr(client, operation), **kwargs)
    assert found.items() >= {"Code": "ValidationException", "Status": 400, "Reason": "MISSING_PARAMETER",
                             "Fields": [{"Name": "IsoCountryCode", "Message": "Member must not be null"}]}.items()


def test_sender_id_may_join_several_pools_a_number_only_one(client):
    sender = client.request_sender_id(SenderId="ACME", IsoCountryCode="GB")
    first = pool_of(client, "ACME", iso="GB")
    second = pool_of(client, sender["SenderIdArn"], iso="GB")
    for pool in (first, second):
        listed = client.list_pool_origination_identities(PoolId=pool["PoolId"])["OriginationIdentities"]
        assert listed == [{"OriginationIdentity": "ACME", "OriginationIdentityArn": sender["SenderIdArn"],
                           "IsoCountryCode": "GB", "NumberCapabilities": ["SMS"]}]
    again = error(client.associate_origination_identity, PoolId=first["PoolId"], OriginationIdentity="ACME",
                  IsoCountryCode="GB")
    assert again.items() >= {"Code": "ConflictException", "Reason": "RESOURCE_ALREADY_ASSOCIATED",
                             "ResourceType": "sender-id", "ResourceId": "ACME/GB"}.items()
    made = number(client)
    pool_a = pool_of(client, made["PhoneNumberId"])
    other = number(client)
    pool_b = pool_of(client, other["PhoneNumberId"])
    taken = error(client.associate_origination_identity, PoolId=pool_b["PoolId"],
                  OriginationIdentity=made["PhoneNumberId"], IsoCountryCode="US")
    assert taken.items() >= {"Code": "ConflictException", "Reason": "PHONE_NUMBER_ASSOCIATED_TO_POOL",
                             "ResourceId": made["PhoneNumberId"]}.items()
    same = error(client.associate_origination_identity, PoolId=pool_a["PoolId"],
                 OriginationIdentity=made["PhoneNumberArn"], IsoCountryCode="US")
    assert same["Reason"] == "RESOURCE_ALREADY_ASSOCIATED"


def test_associate_mismatch_rules(client):
    base = number(client)
    pool = pool_of(client, base["PhoneNumberId"])
    client.create_opt_out_list(OptOutListName="elsewhere")
    cases = [
        ({"MessageType": "PROMOTIONAL"}, None, "MESSAGE_TYPE_MISMATCH"),
        ({"OptOutListName": "elsewhere"}, None, "OPT_OUT_LIST_MISMATCH"),
        ({}, {"TwoWayEnabled": True, "TwoWayChannelArn": CHANNEL}, "TWO_WAY_CONFIG_MISMATCH"),
        ({}, {"SelfManagedOptOutsEnabled": True}, "SELF_MANAGED_OPT_OUTS_MISMATCH"),
        ({"NumberCapabilities": ["VOICE"]}, None, "NUMBER_CAPABILITIES_MISMATCH"),
    ]
    for request_overrides, update, reason in cases:
        candidate = number(client, **request_overrides)
        if update:
            client.update_phone_number(PhoneNumberId=candidate["PhoneNumberId"], **update)
        found = error(client.associate_origination_identity, PoolId=pool["PoolId"],
                      OriginationIdentity=candidate["PhoneNumberId"], IsoCountryCode="US")
        assert found.items() >= {"Code": "ConflictException", "Reason": reason, "ResourceType": "phone-number",
                                 "ResourceId": candidate["PhoneNumberId"]}.items(), reason
    matching = number(client, NumberCapabilities=["SMS", "VOICE"])
    joined = client.associate_origination_identity(PoolId=pool["PoolArn"], OriginationIdentity=matching["PhoneNumberArn"],
                                                   IsoCountryCode="US")
    assert joined == {**joined, "PoolId": pool["PoolId"], "OriginationIdentity": matching["PhoneNumberId"],
                      "OriginationIdentityArn": matching["PhoneNumberArn"], "IsoCountryCode": "US"}


def test_disassociate_rules_and_the_last_number(client):
    first, second = number(client), number(client)
    pool = pool_of(client, first["PhoneNumberId"])
    outsider = error(client.disassociate_origination_identity, PoolId=pool["PoolId"],
                     OriginationIdentity=second["PhoneNumberId"], IsoCountryCode="US")
    assert outsider.items() >= {"Code": "ConflictException", "Reason": "PHONE_NUMBER_NOT_ASSOCIATED_TO_POOL",
                                "ResourceId": second["PhoneNumberId"]}.items()
    client.associate_origination_identity(PoolId=pool["PoolId"], OriginationIdentity=second["PhoneNumberId"],
                                          IsoCountryCode="US")
    left = client.disassociate_origination_identity(PoolId=pool["PoolId"], OriginationIdentity=first["PhoneNumberId"],
                                                    IsoCountryCode="US")
    assert left["OriginationIdentity"] == first["PhoneNumberId"]
    assert "PoolId" not in client.describe_phone_numbers(PhoneNumberIds=[first["PhoneNumberId"]])["PhoneNumbers"][0]
    last = error(client.disassociate_origination_identity, PoolId=pool["PoolId"],
                 OriginationIdentity=second["PhoneNumberId"], IsoCountryCode="US")
    assert last.items() >= {"Code": "ConflictException", "Reason": "LAST_PHONE_NUMBER", "ResourceType": "pool",
                            "ResourceId": pool["PoolId"]}.items()
    assert client.release_phone_number(PhoneNumberId=first["PhoneNumberId"])["Status"] == "DELETED"


def test_list_origination_identities_filters_and_pages(client):
    numbers = [number(client, NumberCapabilities=caps) for caps in (["SMS"], ["SMS", "VOICE"], ["SMS"])]
    pool = pool_of(client, numbers[0]["PhoneNumberId"])
    for made in numbers[1:]:
        client.associate_origination_identity(PoolId=pool["PoolId"], OriginationIdentity=made["PhoneNumberId"],
                                              IsoCountryCode="US")
    listed = client.list_pool_origination_identities(PoolId=pool["PoolArn"])
    assert listed["PoolArn"] == pool["PoolArn"]
    assert [i["PhoneNumber"] for i in listed["OriginationIdentities"]] == [n["PhoneNumber"] for n in numbers]
    voice = client.list_pool_origination_identities(
        PoolId=pool["PoolId"], Filters=[{"Name": "number-capability", "Values": ["VOICE"]}])["OriginationIdentities"]
    assert [i["OriginationIdentity"] for i in voice] == [numbers[1]["PhoneNumberId"]]
    none = client.list_pool_origination_identities(
        PoolId=pool["PoolId"], Filters=[{"Name": "iso-country-code", "Values": ["GB"]}])["OriginationIdentities"]
    assert none == []
    page = client.list_pool_origination_identities(PoolId=pool["PoolId"], MaxResults=2)
    rest = client.list_pool_origination_identities(PoolId=pool["PoolId"], MaxResults=2, NextToken=page["NextToken"])
    assert len(page["OriginationIdentities"]) == 2 and len(rest["OriginationIdentities"]) == 1


def test_update_pool_applies_to_its_numbers(client):
    made = number(client)
    pool = pool_of(client, made["PhoneNumberId"])
    client.create_opt_out_list(OptOutListName="pooled")
    updated = client.update_pool(PoolId=pool["PoolId"], OptOutListName="pooled", SharedRoutesEnabled=True,
                                 TwoWayEnabled=True, TwoWayChannelArn=CHANNEL, DeletionProtectionEnabled=True)
    assert (updated["OptOutListName"], updated["SharedRoutesEnabled"], updated["TwoWayEnabled"],
            updated["DeletionProtectionEnabled"]) == ("pooled", True, True, True)
    member = client.describe_phone_numbers(PhoneNumberIds=[made["PhoneNumberId"]])["PhoneNumbers"][0]
    assert (member["OptOutListName"], member["TwoWayEnabled"], member["TwoWayChannelArn"]) == ("pooled", True, CHANNEL)
    found = error(client.update_pool, PoolId=pool["PoolId"], TwoWayChannelArn=CHANNEL, TwoWayEnabled=True,
                  OptOutListName="absent")
    assert (found["Code"], found["ResourceType"]) == ("ResourceNotFoundException", "opt-out-list")


def test_describe_pools_filters_ids_and_unknown(client):
    first = pool_of(client, number(client)["PhoneNumberId"])
    second = pool_of(client, number(client, MessageType="PROMOTIONAL")["PhoneNumberId"], message_type="PROMOTIONAL",
                     DeletionProtectionEnabled=True)
    found = client.describe_pools(PoolIds=[second["PoolArn"], first["PoolId"]])["Pools"]
    assert [p["PoolId"] for p in found] == [first["PoolId"], second["PoolId"]]

    def ids(filters):
        return [p["PoolId"] for p in client.describe_pools(Filters=filters)["Pools"]]

    assert ids([{"Name": "message-type", "Values": ["PROMOTIONAL"]}]) == [second["PoolId"]]
    assert ids([{"Name": "deletion-protection-enabled", "Values": ["false"]},
                {"Name": "status", "Values": ["ACTIVE"]}]) == [first["PoolId"]]
    assert ids([{"Name": "shared-routes-enabled", "Values": ["true"]}]) == []
    missing = error(client.describe_pools, PoolIds=["pool-" + "3" * 32])
    assert missing.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "pool"}.items()
    bad = error(client.describe_pools, Filters=[{"Name": "status", "Values": ["GONE"]}])
    assert bad["Reason"] == "INVALID_FILTER_VALUES"


def test_delete_pool_disassociates_and_respects_deletion_protection(client):
    made = number(client)
    pool = pool_of(client, made["PhoneNumberId"], DeletionProtectionEnabled=True)
    client.request_sender_id(SenderId="GONE", IsoCountryCode="GB")
    client.associate_origination_identity(PoolId=pool["PoolId"], OriginationIdentity="GONE", IsoCountryCode="GB")
    protected = error(client.delete_pool, PoolId=pool["PoolId"])
    assert protected.items() >= {"Code": "ConflictException", "Reason": "DELETION_PROTECTION_ENABLED",
                                 "ResourceType": "pool", "ResourceId": pool["PoolId"]}.items()
    client.update_pool(PoolId=pool["PoolId"], DeletionProtectionEnabled=False)
    deleted = client.delete_pool(PoolId=pool["PoolArn"])
    assert deleted["PoolId"] == pool["PoolId"]
    assert "PoolId" not in client.describe_phone_numbers(PhoneNumberIds=[made["PhoneNumberId"]])["PhoneNumbers"][0]
    assert client.release_phone_number(PhoneNumberId=made["PhoneNumberId"])["Status"] == "DELETED"
    assert client.release_sender_id(SenderId="GONE", IsoCountryCode="GB")["SenderId"] == "GONE"
    assert error(client.describe_pools, PoolIds=[pool["PoolId"]])["Code"] == "ResourceNotFoundException"


def test_private_members_never_reach_the_wire(server, client, account_id):
    made = number(client)
    client.request_sender_id(SenderId="WIRE", IsoCountryCode="GB")
    pool_of(client, "WIRE", iso="GB")
    for operation, member in (("DescribePhoneNumbers", "PhoneNumbers"), ("DescribeSenderIds", "SenderIds")):
        body = post(server, TARGET + operation, account=account_id).json()
        assert body[member], operation
        assert not [key for item in body[member] for key in item if key.startswith("_")], operation
    assert made["PhoneNumberId"] in str(post(server, TARGET + "DescribePhoneNumbers", account=account_id).json())


def test_empty_pool_id_is_a_validation_error_not_a_missing_pool(client):
    made = number(client)
    calls = [(client.delete_pool, {}), (client.update_pool, {}), (client.list_pool_origination_identities, {}),
             (client.associate_origination_identity, {"OriginationIdentity": made["PhoneNumberId"], "IsoCountryCode": "US"}),
             (client.disassociate_origination_identity, {"OriginationIdentity": made["PhoneNumberId"],
                                                         "IsoCountryCode": "US"}),
             (number, {"client": client})]
    for call, kwargs in calls:
        found = error(call, PoolId="", **kwargs)
        assert found.items() >= {"Code": "ValidationException", "Reason": "FIELD_VALIDATION_FAILED",
                                 "Fields": [{"Name": "PoolId",
                                             "Message": "Member must have length greater than or equal to 1"}]}.items()
    assert error(client.describe_pools, PoolIds=[""])["Reason"] == "FIELD_VALIDATION_FAILED"
    assert len(client.describe_phone_numbers()["PhoneNumbers"]) == 1
