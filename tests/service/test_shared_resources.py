"""Owner=SHARED: resources another account shares through a resource policy, seen from the grantee."""

from __future__ import annotations

import json

from tests.conftest import make_client, new_account_id


def share(owner_client, arn: str, grantee: str) -> None:
    document = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{grantee}:root"},
        "Action": ["sms-voice:SendTextMessage"], "Resource": arn}]}
    owner_client.put_resource_policy(ResourceArn=arn, Policy=json.dumps(document))


def test_shared_numbers_pools_sender_ids_and_lists_are_listed_for_the_grantee(server):
    owner_id, grantee_id, stranger_id = new_account_id(), new_account_id(), new_account_id()
    owner, grantee, stranger = (make_client(server, account) for account in (owner_id, grantee_id, stranger_id))
    number = owner.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                        NumberCapabilities=["SMS"], NumberType="SIMULATOR")
    other_number = owner.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                              NumberCapabilities=["SMS"], NumberType="SIMULATOR")
    pool = owner.create_pool(OriginationIdentity=other_number["PhoneNumberArn"], IsoCountryCode="US",
                             MessageType="TRANSACTIONAL")
    sender = owner.request_sender_id(SenderId="PIGEON", IsoCountryCode="GB")
    opt_outs = owner.create_opt_out_list(OptOutListName="partners")
    for arn in (number["PhoneNumberArn"], pool["PoolArn"], sender["SenderIdArn"], opt_outs["OptOutListArn"]):
        share(owner, arn, grantee_id)

    assert [n["PhoneNumberArn"] for n in grantee.describe_phone_numbers(Owner="SHARED")["PhoneNumbers"]] == [
        number["PhoneNumberArn"]]
    assert [p["PoolArn"] for p in grantee.describe_pools(Owner="SHARED")["Pools"]] == [pool["PoolArn"]]
    assert [s["SenderIdArn"] for s in grantee.describe_sender_ids(Owner="SHARED")["SenderIds"]] == [
        sender["SenderIdArn"]]
    assert [o["OptOutListArn"] for o in grantee.describe_opt_out_lists(Owner="SHARED")["OptOutLists"]] == [
        opt_outs["OptOutListArn"]]
    # Not the grantee's own, not visible to anyone else, and the owner's own view is unchanged.
    assert grantee.describe_phone_numbers()["PhoneNumbers"] == []
    assert stranger.describe_phone_numbers(Owner="SHARED")["PhoneNumbers"] == []
    assert owner.describe_phone_numbers(Owner="SHARED")["PhoneNumbers"] == []
    assert len(owner.describe_phone_numbers(Owner="SELF")["PhoneNumbers"]) == 2

    owner.delete_resource_policy(ResourceArn=number["PhoneNumberArn"])
    assert grantee.describe_phone_numbers(Owner="SHARED")["PhoneNumbers"] == []
    assert len(grantee.describe_pools(Owner="SHARED")["Pools"]) == 1


def test_shares_are_per_region(server):
    owner_id, grantee_id = new_account_id(), new_account_id()
    owner = make_client(server, owner_id)
    arn = owner.create_opt_out_list(OptOutListName="regional")["OptOutListArn"]
    share(owner, arn, grantee_id)
    assert len(make_client(server, grantee_id).describe_opt_out_lists(Owner="SHARED")["OptOutLists"]) == 1
    assert make_client(server, grantee_id, "eu-west-1").describe_opt_out_lists(Owner="SHARED")["OptOutLists"] == []


def test_sending_through_a_shared_number_by_its_arn(server):
    from tests.messaging.support import US_SUCCESS, final_events, messages

    owner_id, grantee_id, stranger_id = new_account_id(), new_account_id(), new_account_id()
    owner, grantee, stranger = (make_client(server, account) for account in (owner_id, grantee_id, stranger_id))
    number = owner.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                        NumberCapabilities=["SMS"], NumberType="SIMULATOR")
    share(owner, number["PhoneNumberArn"], grantee_id)
    message_id = grantee.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="via a shared number",
                                           OriginationIdentity=number["PhoneNumberArn"])["MessageId"]
    assert final_events(server, message_id)[-1]["eventType"] == "TEXT_DELIVERED"
    [sent] = messages(server, account=grantee_id)
    assert sent["OriginationIdentity"] == number["PhoneNumber"]  # the grantee sends (and pays) from it

    import pytest
    from botocore.exceptions import ClientError

    from tests.support.errors import error_of

    for client, identity in ((stranger, number["PhoneNumberArn"]), (grantee, number["PhoneNumberId"])):
        with pytest.raises(ClientError) as excinfo:  # not shared with the stranger; an id is never enough
            client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="no",
                                     OriginationIdentity=identity)
        assert error_of(excinfo)["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:  # the policy allows SendTextMessage only
        grantee.send_media_message(DestinationPhoneNumber=US_SUCCESS, MediaUrls=["s3://bucket/a.png"],
                                   OriginationIdentity=number["PhoneNumberArn"])
    assert error_of(excinfo)["Code"] == "ResourceNotFoundException"


def test_the_owners_opt_out_list_applies_to_a_shared_number(server):
    from botocore.exceptions import ClientError

    owner_id, grantee_id = new_account_id(), new_account_id()
    owner, grantee = make_client(server, owner_id), make_client(server, grantee_id)
    number = owner.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                        NumberCapabilities=["SMS"], NumberType="SIMULATOR")
    share(owner, number["PhoneNumberArn"], grantee_id)
    owner.put_opted_out_number(OptOutListName="Default", OptedOutNumber="+14254147755")
    try:
        grantee.send_text_message(DestinationPhoneNumber="+14254147755", MessageBody="blocked",
                                  OriginationIdentity=number["PhoneNumberArn"])
        raise AssertionError("the owner's opt-out list should refuse the send")
    except ClientError as error:
        assert error.response["Reason"] == "DESTINATION_PHONE_NUMBER_OPTED_OUT"
