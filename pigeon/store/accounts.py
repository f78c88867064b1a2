"""Accounts (tier) and per-region account settings (default protect configuration, spend overrides...).

Reads go through the per-process read cache (pigeon/store/read_cache.py): every request reads the tier and
settings, and a change by any process invalidates them at its commit.
"""

from __future__ import annotations

import copy
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from pigeon.scope import Scope
from pigeon.store.changes import mark_changed
from pigeon.store.read_cache import cached
from pigeon.store.schema import account_settings, accounts

_TIER = sa.select(accounts.c.tier).where(accounts.c.account_id == sa.bindparam("account_id"))
_SETTINGS = sa.select(account_settings.c.data).where(
    account_settings.c.account_id == sa.bindparam("account_id"), account_settings.c.region == sa.bindparam("region")
)


def tier(tx: Connection, account_id: str) -> str | None:
    return cached(tx, "accounts", ("tier", account_id),
                  lambda db: db.execute(_TIER, {"account_id": account_id}).scalar_one_or_none())


def set_tier(tx: Connection, account_id: str, new_tier: str, now: float) -> None:
    record(tx, account_id, new_tier, now)
    tx.execute(accounts.update().where(accounts.c.account_id == account_id).values(tier=new_tier))


def record(tx: Connection, account_id: str, new_tier: str, now: float) -> None:
    """Store an account in ``new_tier`` unless it is stored already: requests of a new account in several
    regions (whose writers do not wait for each other) may all be storing it at once; the first row stays."""
    dialect = postgresql if tx.dialect.name == "postgresql" else sqlite
    tx.execute(dialect.insert(accounts).values(account_id=account_id, tier=new_tier, created_at=now)
               .on_conflict_do_nothing())
    mark_changed(tx)


def settings(tx: Connection, scope: Scope) -> dict[str, Any]:
    """A copy of the scope's settings document (callers may change it and save it back)."""
    data = _settings(tx, scope)
    return copy.deepcopy(data) if data else {}


def setting(tx: Connection, scope: Scope, key: str) -> Any:
    """One entry of the scope's settings document (None if unset), for reading only: not a copy."""
    data = _settings(tx, scope)
    return data.get(key) if data else None


def _settings(tx: Connection, scope: Scope) -> dict[str, Any] | None:
    return cached(tx, "accounts", ("settings", scope.account_id, scope.region),  # type: ignore[no-any-return]
                  lambda db: db.execute(_SETTINGS, {"account_id": scope.account_id, "region": scope.region})
                  .scalar_one_or_none())


def save_settings(tx: Connection, scope: Scope, data: dict[str, Any]) -> None:
    updated = tx.execute(
        account_settings.update()
        .where(account_settings.c.account_id == scope.account_id, account_settings.c.region == scope.region)
        .values(data=data)
    )
    if updated.rowcount == 0:
        tx.execute(account_settings.insert().values(account_id=scope.account_id, region=scope.region, data=data))
    mark_changed(tx)
