"""Accounts (tier) and per-region account settings (default protect configuration, spend overrides...)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pigeon.scope import Scope
from pigeon.store.schema import account_settings, accounts


def tier(tx: Connection, account_id: str) -> str | None:
    return tx.execute(sa.select(accounts.c.tier).where(accounts.c.account_id == account_id)).scalar_one_or_none()


def set_tier(tx: Connection, account_id: str, new_tier: str, now: float) -> None:
    updated = tx.execute(accounts.update().where(accounts.c.account_id == account_id).values(tier=new_tier))
    if updated.rowcount == 0:
        tx.execute(accounts.insert().values(account_id=account_id, tier=new_tier, created_at=now))


def settings(tx: Connection, scope: Scope) -> dict[str, Any]:
    query = sa.select(account_settings.c.data).where(
        account_settings.c.account_id == scope.account_id, account_settings.c.region == scope.region
    )
    data = tx.execute(query).scalar_one_or_none()
    return dict(data) if data else {}


def save_settings(tx: Connection, scope: Scope, data: dict[str, Any]) -> None:
    updated = tx.execute(
        account_settings.update()
        .where(account_settings.c.account_id == scope.account_id, account_settings.c.region == scope.region)
        .values(data=data)
    )
    if updated.rowcount == 0:
        tx.execute(account_settings.insert().values(account_id=scope.account_id, region=scope.region, data=data))
