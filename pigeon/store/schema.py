"""The tables. Every table's keys start with the scope (account_id, region).

Resources of every family live in one table as readable JSON documents in their AWS wire shape
(see docs/decisions.md): the service model is their type, filters and conversions stay generic.
Child resources (event destinations, keywords, opted-out numbers, ...) point at their parent.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()

Json = sa.JSON().with_variant(JSONB(), "postgresql")

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("account_id", sa.String(12), primary_key=True),
    sa.Column("tier", sa.String(20), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

account_settings = sa.Table(
    "account_settings",
    metadata,
    sa.Column("account_id", sa.String(12), primary_key=True),
    sa.Column("region", sa.String(32), primary_key=True),
    sa.Column("data", Json, nullable=False),
)

resources = sa.Table(
    "resources",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("resource_type", sa.String(40), nullable=False),
    sa.Column("parent_id", sa.String(256), nullable=False, server_default=""),
    sa.Column("resource_id", sa.String(256), nullable=False),
    sa.Column("name", sa.String(256), nullable=False),
    sa.Column("arn", sa.String(512), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("data", Json, nullable=False),
    sa.Column("tags", Json, nullable=False),
    sa.UniqueConstraint("account_id", "region", "resource_type", "resource_id", name="uq_resources_id"),
    sa.UniqueConstraint(
        "account_id", "region", "resource_type", "parent_id", "name", name="uq_resources_name"
    ),
    sa.Index("ix_resources_arn", "arn"),
)

idempotency = sa.Table(
    "idempotency",
    metadata,
    sa.Column("account_id", sa.String(12), primary_key=True),
    sa.Column("region", sa.String(32), primary_key=True),
    sa.Column("operation", sa.String(64), primary_key=True),
    sa.Column("client_token", sa.String(64), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("response", Json, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

server_secrets = sa.Table(
    "server_secrets",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)
