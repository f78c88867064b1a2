"""Accounts (tier) and per-region account settings (default protect configuration, spend overrides...).

Reads go through a small per-process cache (``CACHE_SECONDS``): the database stays the truth, writes in
this process invalidate at once, and other processes see a change within the cache's lifetime.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pigeon.scope import Scope
from pigeon.store.schema import account_settings, accounts

CACHE_SECONDS = 1.0
_CHANGED = "pigeon_changed_account_keys"
"""Connection.info key: the cache keys the open transaction has written (cleared when a transaction begins)."""
_cache: dict[tuple[str, ...], tuple[float, Any]] = {}

_TIER = sa.select(accounts.c.tier).where(accounts.c.account_id == sa.bindparam("account_id"))
_SETTINGS = sa.select(account_settings.c.data).where(
    account_settings.c.account_id == sa.bindparam("account_id"), account_settings.c.region == sa.bindparam("region")
)


def _cached(tx: Connection, key: tuple[str, ...], load: Any) -> Any:
    """A fresh cached value, or one loaded now. A value the current transaction has changed is neither served
    from nor put in the cache: it is uncommitted until the transaction ends."""
    changed = tx.info.get(_CHANGED)
    if changed and key in changed:
        return load()
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = load()
    _cache[key] = (now + CACHE_SECONDS, value)
    return value


def _forget(tx: Connection, key: tuple[str, ...]) -> None:
    """Drop the cached value and mark it changed for the rest of this transaction."""
    _cache.pop(key, None)
    tx.info.setdefault(_CHANGED, set()).add(key)


def tier(tx: Connection, account_id: str) -> str | None:
    return _cached(tx, ("tier", account_id), lambda: tx.execute(_TIER, {"account_id": account_id}).scalar_one_or_none())


def set_tier(tx: Connection, account_id: str, new_tier: str, now: float) -> None:
    updated = tx.execute(accounts.update().where(accounts.c.account_id == account_id).values(tier=new_tier))
    if updated.rowcount == 0:
        tx.execute(accounts.insert().values(account_id=account_id, tier=new_tier, created_at=now))
    _forget(tx, ("tier", account_id))  # after the write: the transaction (and its info) exists by now


def settings(tx: Connection, scope: Scope) -> dict[str, Any]:
    """A copy of the scope's settings document (callers may change it and save it back)."""
    data = _cached(
        tx,
        ("settings", scope.account_id, scope.region),
        lambda: tx.execute(_SETTINGS, {"account_id": scope.account_id, "region": scope.region}).scalar_one_or_none(),
    )
    return copy.deepcopy(data) if data else {}


def save_settings(tx: Connection, scope: Scope, data: dict[str, Any]) -> None:
    updated = tx.execute(
        account_settings.update()
        .where(account_settings.c.account_id == scope.account_id, account_settings.c.region == scope.region)
        .values(data=data)
    )
    if updated.rowcount == 0:
        tx.execute(account_settings.insert().values(account_id=scope.account_id, region=scope.region, data=data))
    _forget(tx, ("settings", scope.account_id, scope.region))
