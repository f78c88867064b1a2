"""Origination phone numbers: request, describe, update, release.

A number's document is PhoneNumberInformation; private keys: ``_Connection`` (the carrier connection its
inventory block names). Status is ACTIVE from the start: provisioning, like pool association, is instantaneous.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pigeon.common import arns, filters, ids, lookup, quotas, tags
from pigeon.common.describe import describe
from pigeon.errors import Conflict
from pigeon.protocol.model import enum_values
from pigeon.service import identities, inventory, pools
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation
from pigeon.store import resources
from pigeon.store.resources import Record

RESOURCE_TYPE = "phone-number"

FILTERS: filters.Table = {
    "status": filters.one_of(lambda r: r.data["Status"], enum_values("NumberStatus")),
    "iso-country-code": lambda r: r.data["IsoCountryCode"],
    "message-type": filters.one_of(lambda r: r.data["MessageType"], enum_values("MessageType")),
    "number-capability": filters.one_of(lambda r: r.data["NumberCapabilities"], enum_values("NumberCapability")),
    "number-type": filters.one_of(lambda r: r.data["NumberType"], enum_values("NumberType")),
    "two-way-enabled": filters.boolean(lambda r: r.data.get("TwoWayEnabled", False)),
    "self-managed-opt-outs-enabled": filters.boolean(lambda r: r.data.get("SelfManagedOptOutsEnabled", False)),
    "opt-out-list-name": lambda r: r.data.get("OptOutListName"),
    "deletion-protection-enabled": filters.boolean(lambda r: r.data.get("DeletionProtectionEnabled", False)),
    "two-way-channel-arn": lambda r: r.data.get("TwoWayChannelArn"),
}


def find(ctx: Context, value: str, for_update: bool = False) -> Record:
    """A phone number by PhoneNumberId, PhoneNumberArn or E.164 number, or ResourceNotFoundException."""
    return lookup.resolve(ctx, RESOURCE_TYPE, value, for_update=for_update, field="PhoneNumberId")


def _registration_id(ctx: Context, value: str | None) -> str | None:
    return lookup.resolve(ctx, "registration", value, field="RegistrationId").resource_id if value else None


def _new_document(ctx: Context, params: Params, phone_number_id: str) -> dict[str, Any]:
    iso, number_type = params["IsoCountryCode"], params["NumberType"]
    return {
        "PhoneNumberArn": arns.build(ctx.scope, RESOURCE_TYPE, phone_number_id),
        "PhoneNumberId": phone_number_id,
        "Status": "ACTIVE",
        "IsoCountryCode": iso,
        "MessageType": params["MessageType"],
        "NumberCapabilities": list(dict.fromkeys(params["NumberCapabilities"])),
        "NumberType": number_type,
        "MonthlyLeasingPrice": inventory.leasing_price("phone_numbers", iso, number_type),
        "TwoWayEnabled": False,
        "SelfManagedOptOutsEnabled": False,
        "OptOutListName": identities.opt_out_list_name(ctx, params.get("OptOutListName"))
        or identities.DEFAULT_OPT_OUT_LIST,
        "InternationalSendingEnabled": params.get("InternationalSendingEnabled", False),
        "DeletionProtectionEnabled": params.get("DeletionProtectionEnabled", False),
        "RegistrationId": _registration_id(ctx, params.get("RegistrationId")),
        "CreatedTimestamp": ctx.now,
    }


def _into_pool(ctx: Context, params: Params, document: dict[str, Any]) -> Record | None:
    """The pool a new number joins (PoolId): it takes the pool's settings, and must match its message type,
    (when one is named) its opt-out list and share a capability with the pool's numbers."""
    if params.get("PoolId") is None:
        return None
    pool = pools.find(ctx, params["PoolId"], for_update=True)
    if document["MessageType"] != pool.data["MessageType"]:
        raise Conflict("MESSAGE_TYPE_MISMATCH", identities.POOL, pool.resource_id)
    if params.get("OptOutListName") and document["OptOutListName"] != pool.data["OptOutListName"]:
        raise Conflict("OPT_OUT_LIST_MISMATCH", identities.POOL, pool.resource_id)
    if not identities.shares_capability(ctx, pool, document["NumberCapabilities"]):
        raise Conflict("NUMBER_CAPABILITIES_MISMATCH", identities.POOL, pool.resource_id)
    quotas.check(ctx, "ORIGINATION_IDENTITIES_PER_POOL", len(identities.members(ctx, pool.resource_id)))
    document.update({key: pool.data[key] for key in identities.POOL_SETTINGS if key in pool.data})
    document["PoolId"] = pool.resource_id
    return pool


@operation("RequestPhoneNumber")
def request_phone_number(ctx: Context, params: Params) -> Result:
    """Lease a number of the country and type from the inventory. A SIMULATOR number is US-only and
    TRANSACTIONAL; a RegistrationId (of a registration of this account) is recorded on the number."""
    iso, number_type = params["IsoCountryCode"], params["NumberType"]
    inventory.check_request(ctx, iso, number_type, params["MessageType"], params["NumberCapabilities"])
    inventory.check_international_sending(iso, number_type, params.get("InternationalSendingEnabled"))
    quotas.check(ctx, "PHONE_NUMBERS", resources.count(ctx.tx, ctx.scope, RESOURCE_TYPE), "PHONE_NUMBERS_PER_ACCOUNT")
    phone_number_id = ids.new("phone")
    document = _new_document(ctx, params, phone_number_id)
    _into_pool(ctx, params, document)
    holder = Record(RESOURCE_TYPE, phone_number_id, "", document["PhoneNumberArn"], ctx.now, {})
    allocation = inventory.allocate(ctx, iso, number_type, holder)
    document = {key: value for key, value in document.items() if value is not None}
    document.update(PhoneNumber=allocation.phone_number, _Connection=allocation.connection)
    record = resources.insert(ctx.tx, ctx.scope, replace(
        holder, name=allocation.phone_number, data=document, tags=tags.initial(params.get("Tags"))))
    return {**record.data, "Tags": tags.to_wire(record.tags)}


@operation("DescribePhoneNumbers")
def describe_phone_numbers(ctx: Context, params: Params) -> Result:
    """Given numbers (an unknown one is an error) or all of the account's, filtered; Owner SHARED lists the
    numbers shared with the account (none: Pigeon shares no resources across accounts)."""
    chunk, token = describe(ctx, params, RESOURCE_TYPE, "PhoneNumberIds", lambda value: find(ctx, value), FILTERS)
    return {"PhoneNumbers": [record.data for record in chunk], "NextToken": token}


@operation("UpdatePhoneNumber")
def update_phone_number(ctx: Context, params: Params) -> Result:
    """Change the opt-out list, two-way, self-managed opt-outs, international sending (US toll-free only),
    deletion protection. A number associated with a pool takes the pool's opt-out and two-way settings: changing
    those is an error."""
    record = find(ctx, params["PhoneNumberId"], for_update=True)
    governed = [key for key in identities.POOL_SETTINGS if key in params]
    if record.data.get("PoolId") and governed:
        raise Conflict("PHONE_NUMBER_ASSOCIATED_TO_POOL", RESOURCE_TYPE, record.resource_id,
                       f"The phone number belongs to the pool {record.data['PoolId']}; update the pool instead.")
    inventory.check_international_sending(record.data["IsoCountryCode"], record.data["NumberType"],
                                          params.get("InternationalSendingEnabled"))
    data = identities.updated_settings(ctx, record.data, params)
    record = resources.update(ctx.tx, replace(record, data=data))
    return record.data


def check_releasable(ctx: Context, record: Record) -> None:
    """Deletion protection, pool membership and a registration association each prevent release."""
    if record.data.get("DeletionProtectionEnabled"):
        raise Conflict("DELETION_PROTECTION_ENABLED", RESOURCE_TYPE, record.resource_id)
    if record.data.get("PoolId"):
        raise Conflict("PHONE_NUMBER_ASSOCIATED_TO_POOL", RESOURCE_TYPE, record.resource_id)
    registration_id = record.data.get("RegistrationId")
    if registration_id and lookup.find(ctx, "registration", registration_id, by_name=False) is not None:
        raise Conflict("PHONE_NUMBER_ASSOCIATED_TO_REGISTRATION", RESOURCE_TYPE, record.resource_id)


@operation("ReleasePhoneNumber")
def release_phone_number(ctx: Context, params: Params) -> Result:
    """Give the number back: its keywords go with it, and it returns to the inventory."""
    record = find(ctx, params["PhoneNumberId"], for_update=True)
    check_releasable(ctx, record)
    resources.delete_children(ctx.tx, ctx.scope, record.resource_id, "keyword")
    inventory.release(ctx, record.name, record)
    resources.delete(ctx.tx, record)
    return {**record.data, "Status": "DELETED"}
