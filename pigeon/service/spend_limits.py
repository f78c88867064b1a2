"""Monthly spend limits per channel: defaults by tier, an override that may not pass MaxLimit."""

from __future__ import annotations

from typing import Any

from pigeon.common import pagination, quotas
from pigeon.errors import FieldViolation, Invalid
from pigeon.protocol.model import enum_values
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation
from pigeon.store import accounts

_OVERRIDES = "SpendLimitOverrides"
_CHANNELS = {"Text": "TEXT", "Voice": "VOICE", "Media": "MEDIA", "Notify": "NOTIFY"}


def max_limit(ctx: Context, name: str) -> int:
    """The MaxLimit AWS sets for the account: ``max`` (or ``spend_max_limits``), capped by the account tier's
    own figure where the tier has one (the sandbox's USD 1: an override cannot lift a sandbox account's limit)."""
    limits = quotas.defaults()["spend_limits"][name]
    maximum = int(ctx.settings.spend_max_limits.get(name, limits["max"]))
    tier = ctx.runtime.account_tier(ctx.tx, ctx.scope.account_id)
    return min(maximum, int(limits.get(tier, maximum)))


def enforced_limit(ctx: Context, name: str) -> tuple[int, bool]:
    """The limit in force for ``name`` (whole USD per month) and whether an override set it. Without an override
    it is the MaxLimit: "Deleting a spend limit override will set the EnforcedLimit to equal the MaxLimit"."""
    overrides = accounts.setting(ctx.tx, ctx.scope, _OVERRIDES) or {}
    if name in overrides:
        return int(overrides[name]), True
    return max_limit(ctx, name), False


@operation("DescribeSpendLimits")
def describe_spend_limits(ctx: Context, params: Params) -> Result:
    names = enum_values("SpendLimitName")
    limits: list[dict[str, Any]] = []
    for name in names:
        enforced, overridden = enforced_limit(ctx, name)
        limits.append({"Name": name, "EnforcedLimit": enforced, "MaxLimit": max_limit(ctx, name), "Overridden": overridden})
    chunk, token = pagination.page_of(ctx, params, limits, lambda limit: names.index(limit["Name"]))
    return {"SpendLimits": chunk, "NextToken": token}


def _set_override(ctx: Context, name: str, monthly_limit: int) -> Result:
    maximum = max_limit(ctx, name)
    if monthly_limit > maximum:
        raise Invalid(
            "REQUESTED_SPEND_LIMIT_HIGHER_THAN_SERVICE_LIMIT",
            f"The requested limit {monthly_limit} is higher than the MaxLimit {maximum} of {name}.",
            [FieldViolation("MonthlyLimit", f"Must be at most {maximum}")],
        )
    settings = accounts.settings(ctx.tx, ctx.scope)
    settings[_OVERRIDES] = {**settings.get(_OVERRIDES, {}), name: monthly_limit}
    accounts.save_settings(ctx.tx, ctx.scope, settings)
    return {"MonthlyLimit": monthly_limit}


def _delete_override(ctx: Context, name: str) -> Result:
    settings = accounts.settings(ctx.tx, ctx.scope)
    overrides = dict(settings.get(_OVERRIDES, {}))
    removed = overrides.pop(name, None)
    settings[_OVERRIDES] = overrides
    accounts.save_settings(ctx.tx, ctx.scope, settings)
    return {"MonthlyLimit": removed}


def _register(channel: str, prefix: str) -> None:
    name = f"{prefix}_MESSAGE_MONTHLY_SPEND_LIMIT"
    operation(f"Set{channel}MessageSpendLimitOverride")(
        lambda ctx, params: _set_override(ctx, name, params["MonthlyLimit"])
    )
    operation(f"Delete{channel}MessageSpendLimitOverride")(lambda ctx, params: _delete_override(ctx, name))


for _channel, _prefix in _CHANNELS.items():
    _register(_channel, _prefix)
