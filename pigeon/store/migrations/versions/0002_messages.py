"""The sending pipeline: the messages outbox, the local event log, monthly spend per channel.

Revision ID: 0002_messages
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002_messages"
down_revision = "0001"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Seq = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "messages",
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
    )
    op.create_index("ix_messages_due", "messages", ["status", "due_at"])
    op.create_index("ix_messages_scope", "messages", ["account_id", "region", "created_at"])
    op.create_table(
        "events",
        sa.Column("seq", Seq, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("is_final", sa.Boolean, nullable=False),
        sa.Column("configuration_set", sa.String(256), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("published_at", sa.Float, nullable=True),
        sa.Column("record", sa.JSON(), nullable=False),  # json, not jsonb: keeps AWS's field order
    )
    op.create_index("ix_events_message", "events", ["message_id", "seq"])
    op.create_index("ix_events_scope", "events", ["account_id", "region", "seq"])
    op.create_table(
        "spend",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(8), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("amount_micros", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("spend", "events", "messages"):
        op.drop_table(table)
