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

# --- sending (pigeon/messaging): the outbox, the local event log, monthly spend --------------------------

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("message_id", sa.String(36), primary_key=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("channel", sa.String(8), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("origination_identity", sa.String(256), nullable=False),
    sa.Column("destination", sa.String(20), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("due_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("claimed_by", sa.String(64), nullable=True),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("payload", Json, nullable=False),
    sa.Index("ix_messages_due", "status", "due_at"),
    sa.Index("ix_messages_scope", "account_id", "region", "created_at"),
)
"""The outbox: one row per accepted message; ``due_at`` is when a worker may next take it (a QUEUED
message's next attempt, a CLAIMED message's lease end)."""

events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("message_id", sa.String(36), nullable=False),
    sa.Column("event_type", sa.String(40), nullable=False),
    sa.Column("is_final", sa.Boolean, nullable=False),
    sa.Column("configuration_set", sa.String(256), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("published_at", sa.Float, nullable=True),
    sa.Column("record", sa.JSON(), nullable=False),  # json, not jsonb: keeps AWS's field order
    sa.Index("ix_events_message", "message_id", "seq"),
    sa.Index("ix_events_scope", "account_id", "region", "seq"),
)

spend = sa.Table(
    "spend",
    metadata,
    sa.Column("account_id", sa.String(12), primary_key=True),
    sa.Column("region", sa.String(32), primary_key=True),
    sa.Column("channel", sa.String(8), primary_key=True),
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("amount_micros", sa.BigInteger, nullable=False),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("delivery_id", sa.String(36), nullable=False, unique=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("target", Json, nullable=False),
    sa.Column("payload", sa.JSON(), nullable=False),  # json, not jsonb: keeps AWS's field order
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("due_at", sa.Float, nullable=False),
    sa.Column("claimed_by", sa.String(128)),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Index("ix_deliveries_due", "status", "due_at"),
    sa.Index("ix_deliveries_scope", "account_id", "region", "created_at"),
)

# --- inbound (pigeon/inbound): messages handsets sent to our numbers, and what was done with each ------------

inbound_messages = sa.Table(
    "inbound_messages",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("inbound_message_id", sa.String(36), nullable=False, unique=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("origination_number", sa.String(20), nullable=False),
    sa.Column("destination_number", sa.String(20), nullable=False),
    sa.Column("phone_number_id", sa.String(256), nullable=False),
    sa.Column("pool_id", sa.String(256), nullable=True),
    sa.Column("message_body", sa.Text, nullable=False),
    sa.Column("keyword", sa.String(64), nullable=True),
    sa.Column("keyword_action", sa.String(20), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("outcome", Json, nullable=False),
    sa.Index("ix_inbound_scope", "account_id", "region", "seq"),
    sa.Index("ix_inbound_destination", "destination_number", "seq"),
)
"""One row per inbound message; ``outcome`` says what was done (response sent, opt-out or opt-in, forwards)."""

sa.Index("ix_resources_type_name", resources.c.resource_type, resources.c.name)
"""Finds a phone number by its E.164 name across scopes (inbound messages name only the number)."""

resource_shares = sa.Table(
    "resource_shares",
    metadata,
    sa.Column("resource_arn", sa.String(512), primary_key=True),
    sa.Column("grantee", sa.String(12), primary_key=True),
    sa.Column("owner_account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("resource_type", sa.String(40), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_resource_shares_grantee", "grantee", "region", "resource_type"),
)
"""Who a resource policy shares a resource with (an account id, or ``*``): answers Owner=SHARED lookups."""

# --- carriers (pigeon/carriers): what real carriers said about our messages, and handsets' message parts ------

carrier_parts = sa.Table(
    "carrier_parts",
    metadata,
    sa.Column("carrier", sa.String(64), primary_key=True),
    sa.Column("carrier_message_id", sa.String(65), primary_key=True),
    sa.Column("message_id", sa.String(36), nullable=False),
    sa.Column("part", sa.Integer, nullable=False),
    sa.Column("parts", sa.Integer, nullable=False),
    sa.Column("status", sa.String(32), nullable=True),
    sa.Column("detail", sa.String(256), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_carrier_parts_message", "message_id"),
)
"""The carrier's id of each part of a submitted message (SMPP's submit_sm_resp message_id), so its delivery
receipts find the message (after a restart too); ``status`` is the part's final receipt status once it came."""

inbound_fragments = sa.Table(
    "inbound_fragments",
    metadata,
    sa.Column("carrier", sa.String(64), primary_key=True),
    sa.Column("origination_number", sa.String(21), primary_key=True),
    sa.Column("destination_number", sa.String(21), primary_key=True),
    sa.Column("reference", sa.Integer, primary_key=True),
    sa.Column("sequence", sa.Integer, primary_key=True),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("received_at", sa.Float, nullable=False),
)
"""Parts of a concatenated handset message received so far; the whole message enters the inbound pipeline
when its last part arrives (parts older than a day are dropped)."""

carrier_status = sa.Table(
    "carrier_status",
    metadata,
    sa.Column("process", sa.String(128), primary_key=True),
    sa.Column("carrier", sa.String(64), primary_key=True),
    sa.Column("bind", sa.Integer, primary_key=True),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("status", Json, nullable=False),
)
"""Each process's carrier connections as it last saw them (GET /_pigeon/connections, ``pigeon connections``)."""

call_attempts = sa.Table(
    "call_attempts",
    metadata,
    sa.Column("message_id", sa.String(36), primary_key=True),
    sa.Column("carrier", sa.String(64), nullable=False),
    sa.Column("attempted_at", sa.Float, nullable=False),
    sa.Column("deadline", sa.Float, nullable=False),
    sa.Index("ix_call_attempts_deadline", "carrier", "deadline"),
)
"""Each voice call a SIP carrier placed, written before its INVITE (pigeon/messaging/call_attempts.py): a message
claimed again after a crash is never called twice, and a call whose process died ends FAILED at ``deadline``."""
