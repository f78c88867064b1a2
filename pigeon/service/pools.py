"""Pools: collections of phone numbers and sender IDs that send as one.

A pool is created from one origination identity and inherits its configuration (message type, opt-out
list, two-way configuration, self-managed opt-outs, keywords); deletion protection is not inherited.
Membership is stored on the identities (see service/identities.py). Pools are ACTIVE at once, and
associations take effect at once (no ASSOCIATING/DISASSOCIATING phase is visible).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pigeon.common import arns, filters, ids, lookup, pagination, quotas, tags
from pigeon.common.describe import describe
from pigeon.errors import Conflict, FieldViolation, Invalid, NotFound
from pigeon.protocol.model import enum_values
from pigeon.service import identities
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation
from pigeon.store import resources
from pigeon.store.resources import Record

RESOURCE_TYPE = "pool"
KEYWORD = "keyword"

FILTERS: filters.Table = {
    "status": filters.one_of(lambda r: r.data["Status"], enum_values("PoolStatus")),
    "message-type": filters.one_of(lambda r: r.data["MessageType"], enum_values("MessageType")),
    "two-way-enabled": filters.boolean(lambda r: r.data.get("TwoWayEnabled", False)),
    "self-managed-opt-outs-enabled": filters.boolean(lambda r: r.data.get("SelfManagedOptOutsEnabled", False)),
    "opt-out-list-name": lambda r: r.data.get("OptOutListName"),
    "shared-routes-enabled": filters.boolean(lambda r: r.data.get("SharedRoutesEnabled", False)),
    "deletion-protection-enabled": filters.boolean(lambda r: r.data.get("DeletionProtectionEnabled", False)),
    "two-way-channel-arn": lambda r: r.data.get("TwoWayChannelArn"),
}
MEMBER_FILTERS: filters.Table = {
    "iso-country-code": lambda entry: entry[1]["IsoCountryCode"],
    "number-capability": filters.one_of(lambda entry: entry[1]["NumberCapabilities"], enum_values("NumberCapability")),
}
"""Over (seq, OriginationIdentityMetadata) entries."""


def find(ctx: Context, id_or_arn: str, for_update: bool = False) -> Record:
    """A pool by PoolId or PoolArn, or ResourceNotFoundException.

    The model lets PoolId be empty (min 0); the API reference's "Minimum length of 1" is the rule here."""
    if not id_or_arn:
        raise Invalid.field("PoolId", "Member must have length greater than or equal to 1",
                            reason="FIELD_VALIDATION_FAILED")
    return lookup.resolve(ctx, RESOURCE_TYPE, id_or_arn, by_name=False, for_update=for_update, field="PoolId")


def _identity(ctx: Context, params: Params) -> Record:
    """The request's origination identity (a phone number or a sender ID) in the request's country.

    IsoCountryCode is optional in the model but "Required: Yes" in the API reference for CreatePool,
    AssociateOriginationIdentity and DisassociateOriginationIdentity."""
    if params.get("IsoCountryCode") is None:
        raise Invalid.field("IsoCountryCode", "Member must not be null", reason="MISSING_PARAMETER")
    identity = identities.resolve(ctx, params["OriginationIdentity"], params["IsoCountryCode"], for_update=True,
                                  kinds=(identities.PHONE_NUMBER, identities.SENDER_ID))
    if identity.data["IsoCountryCode"] != params["IsoCountryCode"]:
        raise Invalid("COUNTRY_CODE_MISMATCH",
                      f"The origination identity belongs to {identity.data['IsoCountryCode']}.",
                      [FieldViolation("IsoCountryCode", "Does not match the origination identity's country")])
    return identity


def _copy_keywords(ctx: Context, source_id: str, pool_id: str) -> None:
    """The pool inherits the phone number's keywords (copied under the pool)."""
    for keyword in resources.list_of(ctx.tx, ctx.scope, KEYWORD, parent_id=source_id):
        copy_id = keyword.resource_id.replace(source_id, pool_id) if source_id in keyword.resource_id \
            else f"{pool_id}/{keyword.name}"
        resources.insert(ctx.tx, ctx.scope, replace(keyword, resource_id=copy_id, parent_id=pool_id,
                                                    arn=keyword.arn.replace(source_id, pool_id)))


@operation("CreatePool")
def create_pool(ctx: Context, params: Params) -> Result:
    identity = _identity(ctx, params)
    quotas.check(ctx, "POOLS", resources.count(ctx.tx, ctx.scope, RESOURCE_TYPE), "POOLS_PER_ACCOUNT")
    kind, message_type = identity.resource_type, params["MessageType"]
    if kind == identities.PHONE_NUMBER and identity.data.get("PoolId"):
        raise Conflict("PHONE_NUMBER_ASSOCIATED_TO_POOL", kind, identity.resource_id)
    allowed = [identity.data["MessageType"]] if kind == identities.PHONE_NUMBER else identity.data.get("MessageTypes")
    if allowed and message_type not in allowed:
        raise Conflict("MESSAGE_TYPE_MISMATCH", kind, identity.resource_id)
    pool_id = ids.new("pool")
    arn = arns.build(ctx.scope, RESOURCE_TYPE, pool_id)
    inherited: dict[str, Any] = {"OptOutListName": identities.DEFAULT_OPT_OUT_LIST, "TwoWayEnabled": False,
                                 "SelfManagedOptOutsEnabled": False}
    if kind == identities.PHONE_NUMBER:
        inherited.update({key: identity.data[key] for key in identities.POOL_SETTINGS if key in identity.data})
    data = {"PoolArn": arn, "PoolId": pool_id, "Status": "ACTIVE", "MessageType": message_type, **inherited,
            "SharedRoutesEnabled": False, "DeletionProtectionEnabled": params.get("DeletionProtectionEnabled", False),
            "CreatedTimestamp": ctx.now}
    pool = resources.insert(ctx.tx, ctx.scope, Record(RESOURCE_TYPE, pool_id, pool_id, arn, ctx.now, data,
                                                      tags.initial(params.get("Tags"))))
    if kind == identities.PHONE_NUMBER:
        _copy_keywords(ctx, identity.resource_id, pool_id)
    identities.join(ctx, pool, identity)
    return {**pool.data, "Tags": tags.to_wire(pool.tags)}


@operation("DescribePools")
def describe_pools(ctx: Context, params: Params) -> Result:
    """Given pools (an unknown one is an error) or all of the account's, filtered."""
    chunk, token = describe(ctx, params, RESOURCE_TYPE, "PoolIds", lambda value: find(ctx, value), FILTERS)
    return {"Pools": [record.data for record in chunk], "NextToken": token}


@operation("UpdatePool")
def update_pool(ctx: Context, params: Params) -> Result:
    """Change the pool's settings. The opt-out and two-way settings apply to its phone numbers too, so that a
    number keeps matching the pool it belongs to."""
    pool = find(ctx, params["PoolId"], for_update=True)
    pool = resources.update(ctx.tx, replace(pool, data=identities.updated_settings(ctx, pool.data, params)))
    shared = {key: pool.data[key] for key in identities.POOL_SETTINGS if key in pool.data}
    for member in identities.members(ctx, pool.resource_id):
        if member.resource_type == identities.PHONE_NUMBER:
            data = {k: v for k, v in member.data.items() if k not in identities.POOL_SETTINGS}
            resources.update(ctx.tx, replace(member, data={**data, **shared}))
    return pool.data


@operation("DeletePool")
def delete_pool(ctx: Context, params: Params) -> Result:
    """Delete a pool (not with deletion protection, nor while a Notify configuration sends from it): its
    origination identities are disassociated and its keywords deleted."""
    pool = find(ctx, params["PoolId"], for_update=True)
    if pool.data.get("DeletionProtectionEnabled"):
        raise Conflict("DELETION_PROTECTION_ENABLED", RESOURCE_TYPE, pool.resource_id)
    if pool.data["Status"] != "ACTIVE":
        raise Conflict("RESOURCE_NOT_ACTIVE", RESOURCE_TYPE, pool.resource_id)
    from pigeon.service import notify_configurations  # it builds on this module

    if notify_configurations.using_pool(ctx, pool.resource_id):
        raise Conflict("POOL_ASSOCIATED_TO_NOTIFY_CONFIGURATION", RESOURCE_TYPE, pool.resource_id)
    for member in identities.members(ctx, pool.resource_id):
        identities.leave(ctx, pool.resource_id, member)
    resources.delete_children(ctx.tx, ctx.scope, pool.resource_id, KEYWORD)
    resources.delete(ctx.tx, pool)
    return {**pool.data, "Status": "DELETING"}


def _association(pool: Record, identity: Record) -> Result:
    return {"PoolArn": pool.arn, "PoolId": pool.resource_id, "IsoCountryCode": identity.data["IsoCountryCode"],
            "OriginationIdentityArn": identity.arn,
            "OriginationIdentity": identity.data.get("PhoneNumberId") or identity.data.get("SenderId")}


@operation("AssociateOriginationIdentity")
def associate_origination_identity(ctx: Context, params: Params) -> Result:
    """Add a phone number (in no other pool) or a sender ID (in any number of pools) whose configuration
    matches the pool's."""
    pool = find(ctx, params["PoolId"], for_update=True)
    identity = _identity(ctx, params)
    identities.check_can_join(ctx, pool, identity)
    quotas.check(ctx, "ORIGINATION_IDENTITIES_PER_POOL", len(identities.members(ctx, pool.resource_id)))
    identities.join(ctx, pool, identity)
    return _association(pool, identity)


@operation("DisassociateOriginationIdentity")
def disassociate_origination_identity(ctx: Context, params: Params) -> Result:
    """Remove an identity from the pool. It must be in the pool, and a pool keeps at least one identity."""
    pool = find(ctx, params["PoolId"], for_update=True)
    identity = _identity(ctx, params)
    if not identities.is_member(identity, pool.resource_id):
        if identity.resource_type == identities.PHONE_NUMBER:
            raise Conflict("PHONE_NUMBER_NOT_ASSOCIATED_TO_POOL", identity.resource_type, identity.resource_id)
        raise NotFound(identity.resource_type, identity.resource_id,
                       f"The sender ID {identity.resource_id} is not associated with the pool {pool.resource_id}.")
    if len(identities.members(ctx, pool.resource_id)) == 1:
        raise Conflict("LAST_PHONE_NUMBER", RESOURCE_TYPE, pool.resource_id,
                       "A pool must keep at least one origination identity; delete the pool instead.")
    identities.leave(ctx, pool.resource_id, identity)
    return _association(pool, identity)


@operation("ListPoolOriginationIdentities")
def list_pool_origination_identities(ctx: Context, params: Params) -> Result:
    pool = find(ctx, params["PoolId"])
    entries = [(member.seq, identities.metadata(member)) for member in identities.members(ctx, pool.resource_id)]
    entries = filters.apply(entries, params.get("Filters"), MEMBER_FILTERS)
    chunk, token = pagination.page_of(ctx, params, entries, lambda e: e[0])
    return {"PoolArn": pool.arn, "PoolId": pool.resource_id, "OriginationIdentities": [e[1] for e in chunk],
            "NextToken": token}
