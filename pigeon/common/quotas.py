"""Account and resource quotas from data/quotas.yaml, overridable through Settings.quotas."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from pigeon.errors import QuotaExceeded
from pigeon.service.context import Context


@lru_cache(maxsize=1)
def defaults() -> dict[str, Any]:
    return yaml.safe_load(resources.files("pigeon.data").joinpath("quotas.yaml").read_text())


def limit(ctx: Context, name: str) -> int:
    """The quota ``name`` (an AccountLimitName or a ServiceQuotaExceededExceptionReason)."""
    if name in ctx.settings.quotas:
        return int(ctx.settings.quotas[name])
    data = defaults()
    return int(data["account_limits"].get(name) or data["resource_limits"][name])


def check(ctx: Context, name: str, used: int, reason: str | None = None) -> None:
    """Refuse one more when ``used`` has reached the quota."""
    maximum = limit(ctx, name)
    if used >= maximum:
        raise QuotaExceeded(reason or name, f"The quota {name} of {maximum} has been reached.")
