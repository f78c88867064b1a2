"""Queries over the generic resources table. Rows come back as ``Record``; scope is always the first key."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from pigeon.scope import Scope
from pigeon.store.changes import mark_changed
from pigeon.store.read_cache import cached
from pigeon.store.schema import resources

_T = resources.c


@dataclass(frozen=True)
class Record:
    """One stored resource: its identity, its document in AWS wire shape, and its tags."""

    resource_type: str
    resource_id: str
    name: str
    arn: str
    created_at: float
    data: dict[str, Any]
    tags: dict[str, str] = field(default_factory=dict)
    parent_id: str = ""
    account_id: str = ""
    region: str = ""
    seq: int = 0

    @property
    def scope(self) -> Scope:
        return Scope(self.account_id, self.region)

    def with_data(self, **changes: Any) -> Record:
        return replace(self, data={**self.data, **changes})


def _record(row: sa.Row) -> Record:
    return Record(
        resource_type=row.resource_type,
        resource_id=row.resource_id,
        name=row.name,
        arn=row.arn,
        created_at=row.created_at,
        data=dict(row.data),
        tags=dict(row.tags),
        parent_id=row.parent_id,
        account_id=row.account_id,
        region=row.region,
        seq=row.seq,
    )


def _scoped(scope: Scope, resource_type: str) -> sa.ColumnElement[bool]:
    return sa.and_(_T.account_id == scope.account_id, _T.region == scope.region, _T.resource_type == resource_type)


def _values(scope: Scope, record: Record) -> dict[str, Any]:
    return {
        "account_id": scope.account_id,
        "region": scope.region,
        "resource_type": record.resource_type,
        "parent_id": record.parent_id,
        "resource_id": record.resource_id,
        "name": record.name,
        "arn": record.arn,
        "created_at": record.created_at,
        "data": record.data,
        "tags": record.tags,
    }


def insert(tx: Connection, scope: Scope, record: Record) -> Record:
    """Insert a new resource. The caller has checked name uniqueness (and reports its own Conflict)."""
    mark_changed(tx)
    result = tx.execute(resources.insert().values(**_values(scope, record)))
    seq = result.inserted_primary_key[0] if result.inserted_primary_key else 0
    return replace(record, account_id=scope.account_id, region=scope.region, seq=seq)


def _one(tx: Connection, condition: sa.ColumnElement[bool], for_update: bool) -> Record | None:
    query = sa.select(resources).where(condition)
    if for_update:
        query = query.with_for_update()
    row = tx.execute(query).first()
    return _record(row) if row else None


def _prebuilt(*condition: sa.ColumnElement[bool]) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """A lookup built once (plain, and FOR UPDATE): the hot paths bind values to a statement SQLAlchemy has
    already compiled and cached, instead of constructing the expression on every call."""
    query = sa.select(resources).where(*condition)
    return query, query.with_for_update()


_SCOPED = (_T.account_id == sa.bindparam("account_id"), _T.region == sa.bindparam("region"),
           _T.resource_type == sa.bindparam("resource_type"))
_BY_ID = _prebuilt(*_SCOPED, _T.resource_id == sa.bindparam("resource_id"))
_BY_NAME = _prebuilt(*_SCOPED, _T.parent_id == sa.bindparam("parent_id"), _T.name == sa.bindparam("name"))
_BY_ARN = _prebuilt(_T.arn == sa.bindparam("arn"))


_ALL = sa.select(resources).where(*_SCOPED).order_by(_T.seq)
_ALL_OF_PARENT = sa.select(resources).where(*_SCOPED, _T.parent_id == sa.bindparam("parent_id")).order_by(_T.seq)


def _first(tx: Connection, statements: tuple[sa.Select[Any], sa.Select[Any]], for_update: bool,
           values: dict[str, Any]) -> Record | None:
    """One record; plain reads may be served from the read cache (see pigeon/store/read_cache.py)."""
    if for_update:
        row = tx.execute(statements[1], values).first()
        return _record(row) if row else None
    return cached(tx, "resources", (id(statements), *values.values()), lambda db: _load_first(db, statements[0], values))


def _load_first(tx: Connection, statement: sa.Select[Any], values: dict[str, Any]) -> Record | None:
    row = tx.execute(statement, values).first()
    return _record(row) if row else None


def get(tx: Connection, scope: Scope, resource_type: str, resource_id: str, for_update: bool = False) -> Record | None:
    return _first(tx, _BY_ID, for_update, {"account_id": scope.account_id, "region": scope.region,
                                           "resource_type": resource_type, "resource_id": resource_id})


def get_by_name(
    tx: Connection, scope: Scope, resource_type: str, name: str, parent_id: str = "", for_update: bool = False
) -> Record | None:
    return _first(tx, _BY_NAME, for_update, {"account_id": scope.account_id, "region": scope.region,
                                             "resource_type": resource_type, "parent_id": parent_id, "name": name})


def get_by_arn(tx: Connection, arn: str, for_update: bool = False) -> Record | None:
    return _first(tx, _BY_ARN, for_update, {"arn": arn})


def get_in_any_scope(tx: Connection, resource_type: str, resource_id: str, for_update: bool = False) -> Record | None:
    """A resource by its (globally unique, random) id whatever its scope: for operator tools, never for requests."""
    return _one(tx, sa.and_(_T.resource_type == resource_type, _T.resource_id == resource_id), for_update)


def list_by_name_in_any_scope(tx: Connection, resource_type: str, name: str) -> list[Record]:
    """Resources of a type with a given name in every scope, oldest first: for routing what comes from outside
    a request's scope (an inbound message names only the E.164 number it was sent to)."""
    condition = sa.and_(_T.resource_type == resource_type, _T.name == name)
    return [_record(row) for row in tx.execute(sa.select(resources).where(condition).order_by(_T.seq))]


def list_of(
    tx: Connection, scope: Scope, resource_type: str, parent_id: str | None = None, names: Iterable[str] | None = None
) -> list[Record]:
    """All resources of a type in the scope (optionally of one parent, or with given names), oldest first."""
    if names is None:
        statement = _ALL if parent_id is None else _ALL_OF_PARENT
        values = {"account_id": scope.account_id, "region": scope.region, "resource_type": resource_type,
                  "parent_id": parent_id}
        found = cached(tx, "resources", (id(statement), *values.values()),
                       lambda db: tuple(_record(row) for row in db.execute(statement, values)))
        return list(found)
    condition = _scoped(scope, resource_type)
    if parent_id is not None:
        condition = sa.and_(condition, _T.parent_id == parent_id)
    if names is not None:
        condition = sa.and_(condition, _T.name.in_(list(names)))
    rows = tx.execute(sa.select(resources).where(condition).order_by(_T.seq))
    return [_record(row) for row in rows]


def count(tx: Connection, scope: Scope, resource_type: str, parent_id: str | None = None) -> int:
    condition = _scoped(scope, resource_type)
    if parent_id is not None:
        condition = sa.and_(condition, _T.parent_id == parent_id)
    return tx.execute(sa.select(sa.func.count()).select_from(resources).where(condition)).scalar_one()


def update(tx: Connection, record: Record) -> Record:
    """Write back a record's document and tags (identity columns never change)."""
    mark_changed(tx)
    tx.execute(
        resources.update()
        .where(_scoped(record.scope, record.resource_type), _T.resource_id == record.resource_id)
        .values(data=record.data, tags=record.tags)
    )
    return record


def delete(tx: Connection, record: Record) -> None:
    mark_changed(tx)
    tx.execute(
        resources.delete().where(_scoped(record.scope, record.resource_type), _T.resource_id == record.resource_id)
    )


def delete_children(tx: Connection, scope: Scope, parent_id: str, resource_type: str | None = None) -> None:
    mark_changed(tx)
    condition = sa.and_(_T.account_id == scope.account_id, _T.region == scope.region, _T.parent_id == parent_id)
    if resource_type is not None:
        condition = sa.and_(condition, _T.resource_type == resource_type)
    tx.execute(resources.delete().where(condition))


def list_page(
    tx: Connection,
    scope: Scope,
    resource_type: str,
    parent_id: str,
    *,
    after: str | None,
    limit: int,
    names: Iterable[str] | None = None,
    data_equals: dict[str, Any] | None = None,
) -> list[Record]:
    """At most ``limit`` children of one parent in name order, after the name ``after``, filtered in SQL.

    For child collections that grow large (opted-out numbers): the unique (scope, type, parent, name)
    index serves the order and the keyset, so a page costs the same at 100 or 100,000 children.
    ``data_equals`` compares top-level document members (booleans and strings) in SQL.
    """
    condition = sa.and_(_scoped(scope, resource_type), _T.parent_id == parent_id)
    if after is not None:
        condition = sa.and_(condition, _T.name > after)
    if names is not None:
        condition = sa.and_(condition, _T.name.in_(list(names)))
    for member, value in (data_equals or {}).items():
        element = _T.data[member]
        condition = sa.and_(condition, element.as_boolean() == value if isinstance(value, bool)
                            else element.as_string() == value)
    rows = tx.execute(sa.select(resources).where(condition).order_by(_T.name).limit(limit))
    return [_record(row) for row in rows]


def insert_if_absent(tx: Connection, scope: Scope, record: Record) -> Record:
    """Insert ``record`` unless one with its name already exists (say, stored by a concurrent request),
    and return the stored one. For resources that exist implicitly and are stored on first use."""
    mark_changed(tx)
    dialect = postgresql if tx.dialect.name == "postgresql" else sqlite
    tx.execute(dialect.insert(resources).values(**_values(scope, record)).on_conflict_do_nothing())
    stored = get_by_name(tx, scope, record.resource_type, record.name, record.parent_id)
    assert stored is not None
    return stored
