"""Account attributes and limits: the tier, the default protect configuration, quota usage."""

from __future__ import annotations

from typing import Any

from pigeon.common import pagination, quotas
from pigeon.protocol.model import enum_values
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation
from pigeon.store import accounts, resources

LIMIT_RESOURCE_TYPES = {
    "PHONE_NUMBERS": "phone-number",
    "POOLS": "pool",
    "CONFIGURATION_SETS": "configuration-set",
    "OPT_OUT_LISTS": "opt-out-list",
    "SENDER_IDS": "sender-id",
    "REGISTRATIONS": "registration",
    "REGISTRATION_ATTACHMENTS": "registration-attachment",
    "VERIFIED_DESTINATION_NUMBERS": "verified-destination-number",
}
"""AccountLimitName -> the resource type whose stored count is its Used value."""


@operation("DescribeAccountAttributes")
def describe_account_attributes(ctx: Context, params: Params) -> Result:
    attributes = [{"Name": "ACCOUNT_TIER", "Value": ctx.runtime.account_tier(ctx.tx, ctx.scope.account_id)}]
    default_protect = accounts.setting(ctx.tx, ctx.scope, "DefaultProtectConfigurationId")
    if default_protect:
        attributes.append({"Name": "DEFAULT_PROTECT_CONFIGURATION_ID", "Value": default_protect})
    chunk, token = pagination.page_of(ctx, params, attributes, lambda a: a["Name"])
    return {"AccountAttributes": chunk, "NextToken": token}


@operation("DescribeAccountLimits")
def describe_account_limits(ctx: Context, params: Params) -> Result:
    limits: list[dict[str, Any]] = [
        {
            "Name": name,
            "Used": resources.count(ctx.tx, ctx.scope, LIMIT_RESOURCE_TYPES[name]),
            "Max": quotas.limit(ctx, name),
        }
        for name in enum_values("AccountLimitName")
    ]
    order = {name: index for index, name in enumerate(enum_values("AccountLimitName"))}
    chunk, token = pagination.page_of(ctx, params, limits, lambda limit: order[limit["Name"]])
    return {"AccountLimits": chunk, "NextToken": token}
