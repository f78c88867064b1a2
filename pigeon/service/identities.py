"""Origination identities: phone numbers, sender IDs and pools, found from any of their names, and the rules
of pool membership shared by pools, phone numbers and sending.

Membership lives on the identity: a phone number's ``PoolId`` (a phone number can belong to one pool at a
time), a sender ID's private list ``_PoolIds`` (a sender ID can be associated with multiple pools).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pigeon.common import arns, lookup
from pigeon.errors import Conflict, FieldViolation, Invalid, NotFound
from pigeon.service import opt_outs
from pigeon.service.context import Context, Params
from pigeon.store import resources
from pigeon.store.resources import Record

PHONE_NUMBER = "phone-number"
SENDER_ID = "sender-id"
POOL = "pool"
OPT_OUT_LIST = "opt-out-list"
DEFAULT_OPT_OUT_LIST = "Default"
POOL_SETTINGS = ("OptOutListName", "TwoWayEnabled", "TwoWayChannelArn", "TwoWayChannelRole",
                 "SelfManagedOptOutsEnabled")
"""The settings a pool governs for its phone numbers (inherited on CreatePool, checked on association)."""


def find_sender_id(ctx: Context, value: str, iso_country_code: str | None = None, *,
                   for_update: bool = False) -> Record | None:
    """A sender ID by ARN, by ``SenderId/IsoCountryCode``, or by SenderId (with the country, or the only one)."""
    if arns.is_arn(value):
        return lookup.find(ctx, SENDER_ID, value, for_update=for_update, field="SenderId")
    if "/" in value:
        return resources.get(ctx.tx, ctx.scope, SENDER_ID, value, for_update=for_update)
    if iso_country_code:
        return resources.get(ctx.tx, ctx.scope, SENDER_ID, f"{value}/{iso_country_code}", for_update=for_update)
    matches = [r for r in resources.list_of(ctx.tx, ctx.scope, SENDER_ID) if r.data["SenderId"] == value]
    if len(matches) > 1:
        raise Invalid.field("IsoCountryCode", f"The sender ID {value} exists in several countries; name one.",
                            reason="MISSING_PARAMETER")
    if matches and for_update:
        return resources.get(ctx.tx, ctx.scope, SENDER_ID, matches[0].resource_id, for_update=True)
    return matches[0] if matches else None


def resolve(ctx: Context, value: str, iso_country_code: str | None = None, *, for_update: bool = False,
            kinds: tuple[str, ...] = (PHONE_NUMBER, SENDER_ID, POOL), field: str = "OriginationIdentity",
            shared_action: str | None = None) -> Record:
    """Any origination identity: phone number id/ARN/E.164, sender ID/ARN, pool id/ARN (of ``kinds``).

    With ``shared_action`` (e.g. ``sms-voice:SendTextMessage``), the ARN of another account's identity in the
    same region is accepted when its resource policy allows the caller that action ("If you are using a
    shared resource then you must use the full ARN"); otherwise it is not found."""
    if arns.is_arn(value):
        parsed = arns.parse(value)
        if parsed is None:
            raise Invalid.field(field, f"{value} is not a valid ARN", reason="INVALID_ARN")
        if parsed.resource_type not in kinds:
            raise NotFound(parsed.resource_type, value)
        if shared_action and parsed.account_id != ctx.scope.account_id and parsed.region == ctx.scope.region:
            return _shared(ctx, parsed.resource_type, value, shared_action)
        return lookup.resolve(ctx, parsed.resource_type, value, for_update=for_update, field=field)
    for kind, prefix in ((PHONE_NUMBER, "phone-"), (POOL, "pool-")):
        if kind in kinds and value.startswith(prefix):
            found = resources.get(ctx.tx, ctx.scope, kind, value, for_update=for_update)
            if found is not None:
                return found
    if PHONE_NUMBER in kinds and value.startswith("+"):
        found = resources.get_by_name(ctx.tx, ctx.scope, PHONE_NUMBER, value, for_update=for_update)
        if found is not None:
            return found
    if SENDER_ID in kinds:
        found = find_sender_id(ctx, value, iso_country_code, for_update=for_update)
        if found is not None:
            return found
    raise NotFound(_kind_named(value, kinds), value)


def _shared(ctx: Context, resource_type: str, arn: str, action: str) -> Record:
    from pigeon.service import policies  # policies imports this module's neighbours

    record = resources.get_by_arn(ctx.tx, arn)
    if record is None or not policies.allows(record, ctx.scope.account_id, action):
        raise NotFound(resource_type, arn)
    return record


def _kind_named(value: str, kinds: tuple[str, ...]) -> str:
    """The resource type an unknown identity value looks like, for ResourceNotFoundException."""
    if value.startswith(("phone-", "+")) and PHONE_NUMBER in kinds:
        return PHONE_NUMBER
    if value.startswith("pool-") and POOL in kinds:
        return POOL
    return SENDER_ID if SENDER_ID in kinds else kinds[0]


def opt_out_list_name(ctx: Context, value: str | None) -> str | None:
    """The name of an existing opt-out list given by name or ARN (``Default`` always exists)."""
    if value is None:
        return None
    found = lookup.find(ctx, OPT_OUT_LIST, value, field="OptOutListName")
    if found is not None:
        return found.name
    if opt_outs.is_default(ctx, value):
        return DEFAULT_OPT_OUT_LIST
    raise NotFound(OPT_OUT_LIST, value)


def updated_settings(ctx: Context, current: dict[str, Any], params: Params) -> dict[str, Any]:
    """The identity or pool settings after an Update*: opt-out list, two-way, self-managed opt-outs, flags.

    Two-way messaging needs a channel: TwoWayEnabled true without a TwoWayChannelArn is refused.
    """
    changes = {key: params[key] for key in (*POOL_SETTINGS, "DeletionProtectionEnabled", "SharedRoutesEnabled",
                                            "InternationalSendingEnabled") if key in params}
    if "OptOutListName" in changes:
        changes["OptOutListName"] = opt_out_list_name(ctx, changes["OptOutListName"])
    result = {**current, **changes}
    if result.get("TwoWayEnabled") and not result.get("TwoWayChannelArn"):
        raise Invalid("TWO_WAY_CHANNEL_NOT_PRESENT", "Two-way messaging needs a TwoWayChannelArn.",
                      [FieldViolation("TwoWayChannelArn", "Required when TwoWayEnabled is true")])
    return result


def is_member(identity: Record, pool_id: str) -> bool:
    if identity.resource_type == PHONE_NUMBER:
        return identity.data.get("PoolId") == pool_id
    return pool_id in identity.data.get("_PoolIds", [])


def members(ctx: Context, pool_id: str) -> list[Record]:
    """The phone numbers and sender IDs associated with the pool, oldest first."""
    found = [r for kind in (PHONE_NUMBER, SENDER_ID) for r in resources.list_of(ctx.tx, ctx.scope, kind)
             if is_member(r, pool_id)]
    return sorted(found, key=lambda record: record.seq)


def members_of(ctx: Context, pool: Record) -> list[Record]:
    """The members of ``pool``, read in the pool's own scope (a shared pool belongs to another account)."""
    return members(ctx.in_scope(pool.scope), pool.resource_id)


def check_can_join(ctx: Context, pool: Record, identity: Record) -> None:
    """The identity's configuration must match the pool's (AssociateOriginationIdentity, CreatePool)."""
    kind, identity_id = identity.resource_type, identity.resource_id
    if is_member(identity, pool.resource_id):
        raise Conflict("RESOURCE_ALREADY_ASSOCIATED", kind, identity_id)
    if kind == SENDER_ID:
        allowed = identity.data.get("MessageTypes") or []
        if allowed and pool.data["MessageType"] not in allowed:
            raise Conflict("MESSAGE_TYPE_MISMATCH", kind, identity_id)
        return
    if identity.data.get("PoolId"):
        raise Conflict("PHONE_NUMBER_ASSOCIATED_TO_POOL", kind, identity_id)
    _check_phone_matches(ctx, pool, identity)


def _check_phone_matches(ctx: Context, pool: Record, number: Record) -> None:
    mine, theirs = number.data, pool.data
    checks = (
        ("MESSAGE_TYPE_MISMATCH", ("MessageType",)),
        ("OPT_OUT_LIST_MISMATCH", ("OptOutListName",)),
        ("TWO_WAY_CONFIG_MISMATCH", ("TwoWayEnabled", "TwoWayChannelArn")),
        ("SELF_MANAGED_OPT_OUTS_MISMATCH", ("SelfManagedOptOutsEnabled",)),
    )
    for reason, keys in checks:
        if any((mine.get(key) or None) != (theirs.get(key) or None) for key in keys):
            raise Conflict(reason, PHONE_NUMBER, number.resource_id)
    if not shares_capability(ctx, pool, mine["NumberCapabilities"]):
        raise Conflict("NUMBER_CAPABILITIES_MISMATCH", PHONE_NUMBER, number.resource_id)


def shares_capability(ctx: Context, pool: Record, capabilities: list[str]) -> bool:
    """Whether a number with ``capabilities`` shares one with the pool's phone numbers (or the pool has none)."""
    numbers = [m for m in members(ctx, pool.resource_id) if m.resource_type == PHONE_NUMBER]
    return not numbers or any(set(m.data["NumberCapabilities"]) & set(capabilities) for m in numbers)


def join(ctx: Context, pool: Record, identity: Record) -> Record:
    """Associate the identity with the pool (status changes are instantaneous: it stays ACTIVE)."""
    if identity.resource_type == PHONE_NUMBER:
        updated = identity.with_data(PoolId=pool.resource_id)
    else:
        updated = identity.with_data(_PoolIds=[*identity.data.get("_PoolIds", []), pool.resource_id])
    return resources.update(ctx.tx, updated)


def leave(ctx: Context, pool_id: str, identity: Record) -> Record:
    if identity.resource_type == PHONE_NUMBER:
        data = {key: value for key, value in identity.data.items() if key != "PoolId"}
    else:
        data = {**identity.data, "_PoolIds": [p for p in identity.data.get("_PoolIds", []) if p != pool_id]}
    return resources.update(ctx.tx, replace(identity, data=data))


def metadata(identity: Record) -> dict[str, Any]:
    """OriginationIdentityMetadata of a pool member."""
    if identity.resource_type == PHONE_NUMBER:
        return {"OriginationIdentity": identity.resource_id, "OriginationIdentityArn": identity.arn,
                "IsoCountryCode": identity.data["IsoCountryCode"],
                "NumberCapabilities": identity.data["NumberCapabilities"], "PhoneNumber": identity.name}
    return {"OriginationIdentity": identity.data["SenderId"], "OriginationIdentityArn": identity.arn,
            "IsoCountryCode": identity.data["IsoCountryCode"], "NumberCapabilities": ["SMS"]}
