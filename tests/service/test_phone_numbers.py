"""Phone numbers through boto3 against a real server (SQLite and PostgreSQL)."""

from __future__ import annotations

import phonenumbers
import pytest
from botocore.exceptions import ClientError

from tests.conftest import make_client, new_account_id
from tests.support.errors import error_of


def request(client, **overrides):
    params = {"IsoCountryCode": "US", "MessageType": "TRANSACTIONAL", "NumberCapabilities": ["SMS"],
              "NumberType": "TOLL_FREE", **overrides}
    return client.request_phone_number(**params)


def error(call, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


def test_request_returns_a_valid_number_of_the_country_and_type(client, account_id):
    number = request(client, Tags=[{"Key": "team", "Value": "ops"}])
    assert number["PhoneNumberId"].startswith("phone-") and len(number["PhoneNumberId"]) == 38
    assert number["PhoneNumberArn"] == f"arn:aws:sms-voice:us-east-1:{account_id}:phone-number/{number['PhoneNumberId']}"
    parsed = phonenumbers.parse(number["PhoneNumber"], None)
    assert phonenumbers.is_valid_number_for_region(parsed, "US")
    assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.TOLL_FREE
    assert (number["Status"], number["NumberType"], number["MessageType"]) == ("ACTIVE", "TOLL_FREE", "TRANSACTIONAL")
    assert number["MonthlyLeasingPrice"] == "2.00"
    assert number["OptOutListName"] == "Default"
    assert (number["TwoWayEnabled"], number["SelfManagedOptOutsEnabled"], number["DeletionProtectionEnabled"]) == (
        False, False, False)
    assert number["Tags"] == [{"Key": "team", "Value": "ops"}]
    assert "_Connection" not in number


@pytest.mark.parametrize("iso,number_type,expected", [
    ("GB", "LONG_CODE", (phonenumbers.PhoneNumberType.MOBILE,)),
    ("US", "TEN_DLC", (phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,)),
    ("CA", "TOLL_FREE", (phonenumbers.PhoneNumberType.TOLL_FREE,)),
    ("US", "SIMULATOR", (phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,)),
])
def test_request_each_type_gives_a_valid_distinct_number(client, iso, number_type, expected):
    numbers = {request(client, IsoCountryCode=iso, NumberType=number_type)["PhoneNumber"] for _ in range(3)}
    assert len(numbers) == 3
    for number in numbers:
        parsed = phonenumbers.parse(number, None)
        assert phonenumbers.is_valid_number_for_region(parsed, iso)
        assert phonenumbers.number_type(parsed) in expected


def test_request_refuses_unsupported_combinations(client):
    cases = [
        ({"NumberType": "TEN_DLC", "IsoCountryCode": "GB"}, "INVALID_PARAMETER", "NumberType"),
        ({"NumberType": "SIMULATOR", "IsoCountryCode": "GB"}, "INVALID_PARAMETER", "NumberType"),
        ({"NumberType": "SIMULATOR", "MessageType": "PROMOTIONAL"}, "INVALID_PARAMETER", "MessageType"),
        ({"NumberType": "LONG_CODE", "IsoCountryCode": "GB", "NumberCapabilities": ["SMS", "MMS"]},
         "INVALID_PARAMETER", "NumberCapabilities"),
        ({"NumberType": "LONG_CODE", "IsoCountryCode": "MX", "NumberCapabilities": ["VOICE"]},
         "VOICE_CAPABILITY_NOT_AVAILABLE", "NumberCapabilities"),
        ({"IsoCountryCode": "XX"}, "INVALID_PARAMETER", "IsoCountryCode"),
    ]
    for overrides, reason, field in cases:
        with pytest.raises(ClientError) as excinfo:
            request(client, **overrides)
        found = error_of(excinfo)
        assert (found["Code"], found["Reason"]) == ("ValidationException", reason), overrides
        assert [f["Name"] for f in found["Fields"]] == [field], overrides


def test_request_with_unknown_opt_out_list_pool_or_registration_is_not_found(client):
    for member, value, resource_type in [("OptOutListName", "nope", "opt-out-list"),
                                         ("PoolId", "pool-" + "0" * 32, "pool"),
                                         ("RegistrationId", "registration-" + "0" * 32, "registration")]:
        with pytest.raises(ClientError) as excinfo:
            request(client, **{member: value})
        assert error_of(excinfo).items() >= {"Code": "ResourceNotFoundException", "ResourceType": resource_type,
                                             "ResourceId": value}.items()
    assert client.describe_phone_numbers()["PhoneNumbers"] == []


def test_request_with_existing_opt_out_list_by_arn(client):
    arn = client.create_opt_out_list(OptOutListName="mine")["OptOutListArn"]
    assert request(client, OptOutListName=arn)["OptOutListName"] == "mine"


def test_another_accounts_default_opt_out_list_arn_is_not_found(client, account_id):
    own = f"arn:aws:sms-voice:us-east-1:{account_id}:opt-out-list/Default"
    made = request(client, OptOutListName=own)
    assert made["OptOutListName"] == "Default"
    other = f"arn:aws:sms-voice:us-east-1:{new_account_id()}:opt-out-list/Default"
    for call, kwargs in [(request, {"client": client}),
                         (client.update_phone_number, {"PhoneNumberId": made["PhoneNumberId"]})]:
        found = error(call, OptOutListName=other, **kwargs)
        assert found.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "opt-out-list",
                                 "ResourceId": other}.items()
    assert len(client.describe_phone_numbers()["PhoneNumbers"]) == 1


def test_international_sending_is_for_us_toll_free_numbers_only(client):
    assert request(client, InternationalSendingEnabled=True)["InternationalSendingEnabled"] is True
    found = error(request, client=client, NumberType="TEN_DLC", InternationalSendingEnabled=True)
    assert (found["Code"], found["Reason"], found["Fields"][0]["Name"]) == (
        "ValidationException", "INTERNATIONAL_SENDING_NOT_SUPPORTED", "InternationalSendingEnabled")
    long_code = request(client, IsoCountryCode="GB", NumberType="LONG_CODE")
    found = error(client.update_phone_number, PhoneNumberId=long_code["PhoneNumberId"], InternationalSendingEnabled=True)
    assert found["Reason"] == "INTERNATIONAL_SENDING_NOT_SUPPORTED"


def test_describe_by_id_arn_and_filters(client):
    first = request(client)
    second = request(client, IsoCountryCode="GB", NumberType="LONG_CODE", MessageType="PROMOTIONAL",
                     NumberCapabilities=["SMS", "VOICE"], DeletionProtectionEnabled=True)
    found = client.describe_phone_numbers(PhoneNumberIds=[second["PhoneNumberArn"], first["PhoneNumberId"]])
    assert [n["PhoneNumberId"] for n in found["PhoneNumbers"]] == [first["PhoneNumberId"], second["PhoneNumberId"]]

    def ids(filters):
        return [n["PhoneNumberId"] for n in client.describe_phone_numbers(Filters=filters)["PhoneNumbers"]]

    assert ids([{"Name": "iso-country-code", "Values": ["GB"]}]) == [second["PhoneNumberId"]]
    assert ids([{"Name": "number-capability", "Values": ["VOICE"]}]) == [second["PhoneNumberId"]]
    assert ids([{"Name": "number-type", "Values": ["TOLL_FREE", "LONG_CODE"]},
                {"Name": "message-type", "Values": ["TRANSACTIONAL"]}]) == [first["PhoneNumberId"]]
    assert ids([{"Name": "deletion-protection-enabled", "Values": ["true"]}]) == [second["PhoneNumberId"]]
    assert ids([{"Name": "status", "Values": ["ACTIVE"]}, {"Name": "opt-out-list-name", "Values": ["Default"]},
                {"Name": "two-way-enabled", "Values": ["false"]}]) == [first["PhoneNumberId"], second["PhoneNumberId"]]
    bad = error(client.describe_phone_numbers, Filters=[{"Name": "status", "Values": ["SLEEPING"]}])
    assert (bad["Code"], bad["Reason"]) == ("ValidationException", "INVALID_FILTER_VALUES")


def test_describe_unknown_id_and_owner_with_ids(client):
    missing = "phone-" + "1" * 32
    found = error(client.describe_phone_numbers, PhoneNumberIds=[missing])
    assert found.items() >= {"Code": "ResourceNotFoundException", "ResourceType": "phone-number",
                             "ResourceId": missing}.items()
    both = error(client.describe_phone_numbers, PhoneNumberIds=[missing], Owner="SELF")
    assert (both["Code"], both["Reason"]) == ("ValidationException", "PARAMETERS_CANNOT_BE_USED_TOGETHER")
    assert client.describe_phone_numbers(Owner="SHARED")["PhoneNumbers"] == []


def test_describe_paginates(client):
    made = [request(client)["PhoneNumberId"] for _ in range(3)]
    page = client.describe_phone_numbers(MaxResults=2)
    rest = client.describe_phone_numbers(MaxResults=2, NextToken=page["NextToken"])
    assert [n["PhoneNumberId"] for n in page["PhoneNumbers"] + rest["PhoneNumbers"]] == made
    assert "NextToken" not in rest


def test_update_settings_and_two_way_needs_a_channel(client):
    number = request(client)
    client.create_opt_out_list(OptOutListName="other")
    updated = client.update_phone_number(
        PhoneNumberId=number["PhoneNumberArn"], TwoWayEnabled=True,
        TwoWayChannelArn="arn:aws:sns:us-east-1:111122223333:inbound", SelfManagedOptOutsEnabled=True,
        OptOutListName="other", InternationalSendingEnabled=True, DeletionProtectionEnabled=True)
    assert (updated["TwoWayEnabled"], updated["TwoWayChannelArn"], updated["SelfManagedOptOutsEnabled"],
            updated["OptOutListName"], updated["InternationalSendingEnabled"], updated["DeletionProtectionEnabled"]) == (
        True, "arn:aws:sns:us-east-1:111122223333:inbound", True, "other", True, True)
    other = request(client)
    found = error(client.update_phone_number, PhoneNumberId=other["PhoneNumberId"], TwoWayEnabled=True)
    assert (found["Code"], found["Reason"]) == ("ValidationException", "TWO_WAY_CHANNEL_NOT_PRESENT")
    missing = error(client.update_phone_number, PhoneNumberId=other["PhoneNumberId"], OptOutListName="absent")
    assert (missing["Code"], missing["ResourceType"]) == ("ResourceNotFoundException", "opt-out-list")


def test_release_returns_deleted_and_forgets_the_number(client):
    number = request(client)
    released = client.release_phone_number(PhoneNumberId=number["PhoneNumberArn"])
    assert (released["PhoneNumberId"], released["Status"]) == (number["PhoneNumberId"], "DELETED")
    found = error(client.describe_phone_numbers, PhoneNumberIds=[number["PhoneNumberId"]])
    assert found["Code"] == "ResourceNotFoundException"


def test_release_refuses_deletion_protection_until_turned_off(client):
    number = request(client, DeletionProtectionEnabled=True)
    found = error(client.release_phone_number, PhoneNumberId=number["PhoneNumberId"])
    assert found.items() >= {"Code": "ConflictException", "Reason": "DELETION_PROTECTION_ENABLED",
                             "ResourceType": "phone-number", "ResourceId": number["PhoneNumberId"]}.items()
    client.update_phone_number(PhoneNumberId=number["PhoneNumberId"], DeletionProtectionEnabled=False)
    assert client.release_phone_number(PhoneNumberId=number["PhoneNumberId"])["Status"] == "DELETED"


def test_release_refuses_number_in_pool(client):
    number = request(client)
    client.create_pool(OriginationIdentity=number["PhoneNumberId"], IsoCountryCode="US", MessageType="TRANSACTIONAL")
    found = error(client.release_phone_number, PhoneNumberId=number["PhoneNumberId"])
    assert found.items() >= {"Code": "ConflictException", "Reason": "PHONE_NUMBER_ASSOCIATED_TO_POOL",
                             "ResourceType": "phone-number", "ResourceId": number["PhoneNumberId"]}.items()


def test_update_refuses_pool_governed_settings_of_a_pooled_number(client):
    number = request(client)
    client.create_pool(OriginationIdentity=number["PhoneNumberId"], IsoCountryCode="US", MessageType="TRANSACTIONAL")
    found = error(client.update_phone_number, PhoneNumberId=number["PhoneNumberId"], SelfManagedOptOutsEnabled=True)
    assert (found["Code"], found["Reason"]) == ("ConflictException", "PHONE_NUMBER_ASSOCIATED_TO_POOL")
    assert client.update_phone_number(PhoneNumberId=number["PhoneNumberId"],
                                      DeletionProtectionEnabled=True)["DeletionProtectionEnabled"] is True


def test_request_into_pool_takes_its_settings_and_checks_message_type(client):
    first = request(client)
    pool = client.create_pool(OriginationIdentity=first["PhoneNumberId"], IsoCountryCode="US",
                              MessageType="TRANSACTIONAL")
    client.update_pool(PoolId=pool["PoolId"], SelfManagedOptOutsEnabled=True)
    joined = request(client, PoolId=pool["PoolArn"])
    assert (joined["PoolId"], joined["SelfManagedOptOutsEnabled"]) == (pool["PoolId"], True)
    found = error(request, client=client, PoolId=pool["PoolId"], MessageType="PROMOTIONAL")
    assert (found["Code"], found["Reason"]) == ("ConflictException", "MESSAGE_TYPE_MISMATCH")


def test_request_into_pool_refuses_a_number_sharing_no_capability_with_its_numbers(client):
    first = request(client)
    pool = client.create_pool(OriginationIdentity=first["PhoneNumberId"], IsoCountryCode="US",
                              MessageType="TRANSACTIONAL")
    found = error(request, client=client, PoolId=pool["PoolId"], NumberCapabilities=["VOICE"])
    assert found.items() >= {"Code": "ConflictException", "Reason": "NUMBER_CAPABILITIES_MISMATCH",
                             "ResourceType": "pool", "ResourceId": pool["PoolId"]}.items()
    assert len(client.describe_phone_numbers()["PhoneNumbers"]) == 1
    assert request(client, PoolId=pool["PoolId"], NumberCapabilities=["SMS", "VOICE"])["PoolId"] == pool["PoolId"]


def test_numbers_are_never_shared_between_accounts_or_regions(server):
    clients = [make_client(server, new_account_id()), make_client(server, new_account_id(), region="eu-west-1")]
    seen = [request(c, IsoCountryCode="CA", NumberType="TOLL_FREE")["PhoneNumber"] for c in clients for _ in range(4)]
    assert len(set(seen)) == len(seen)


def test_account_limits_count_phone_numbers(client):
    request(client)
    limits = {limit["Name"]: limit for limit in client.describe_account_limits()["AccountLimits"]}
    assert limits["PHONE_NUMBERS"]["Used"] == 1


def test_release_refuses_number_associated_to_a_registration(client):
    registration = client.create_registration(RegistrationType="US_TOLL_FREE_REGISTRATION")
    number = request(client, RegistrationId=registration["RegistrationArn"])
    assert number["RegistrationId"] == registration["RegistrationId"]
    found = error(client.release_phone_number, PhoneNumberId=number["PhoneNumberId"])
    assert found.items() >= {"Code": "ConflictException", "Reason": "PHONE_NUMBER_ASSOCIATED_TO_REGISTRATION",
                             "ResourceType": "phone-number", "ResourceId": number["PhoneNumberId"]}.items()


def test_client_token_returns_the_same_number(client):
    first = request(client, ClientToken="once")
    again = request(client, ClientToken="once")
    assert again["PhoneNumberId"] == first["PhoneNumberId"]
    assert len(client.describe_phone_numbers()["PhoneNumbers"]) == 1


def test_aws_cli_requests_and_describes(aws_cli):
    made = aws_cli("request-phone-number", "--iso-country-code", "US", "--message-type", "TRANSACTIONAL",
                   "--number-capabilities", "SMS", "--number-type", "SIMULATOR")
    listed = aws_cli("describe-phone-numbers", "--filters", "Name=number-type,Values=SIMULATOR")
    assert [n["PhoneNumber"] for n in listed["PhoneNumbers"]] == [made["PhoneNumber"]]
