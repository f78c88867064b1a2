"""Resource shares: which accounts a resource policy opens a resource to, queryable from the grantee's side."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pigeon.store.changes import mark_changed
from pigeon.store.read_cache import cached
from pigeon.store.resources import Record, _record
from pigeon.store.schema import resource_shares, resources

_S = resource_shares.c
_R = resources.c
EVERYONE = "*"


def set_grantees(tx: Connection, record: Record, grantees: Iterable[str], now: float) -> None:
    """Replace the accounts ``record`` is shared with (none: not shared)."""
    mark_changed(tx)
    tx.execute(resource_shares.delete().where(_S.resource_arn == record.arn))
    rows = [{"resource_arn": record.arn, "grantee": grantee, "owner_account_id": record.account_id,
             "region": record.region, "resource_type": record.resource_type, "created_at": now}
            for grantee in sorted(set(grantees))]
    if rows:
        tx.execute(resource_shares.insert(), rows)


def shared_with(tx: Connection, account_id: str, region: str, resource_type: str) -> list[Record]:
    """Other accounts' resources of a type in ``region`` that are shared with ``account_id``, oldest first."""
    arns = sa.select(_S.resource_arn).where(
        _S.grantee.in_((account_id, EVERYONE)), _S.region == region, _S.resource_type == resource_type,
        _S.owner_account_id != account_id,
    )
    query = sa.select(resources).where(_R.arn.in_(arns), _R.resource_type == resource_type).order_by(_R.seq)
    return [_record(row) for row in tx.execute(query)]


def is_shared_with(tx: Connection, arn: str, account_id: str) -> bool:
    return cached(tx, "resources", ("shared", arn, account_id),
                  lambda db: db.execute(_SHARED, {"arn": arn, "account_id": account_id}).first() is not None)


_SHARED = sa.select(_S.grantee).where(
    _S.resource_arn == sa.bindparam("arn"), _S.grantee.in_((sa.bindparam("account_id"), EVERYONE))).limit(1)
