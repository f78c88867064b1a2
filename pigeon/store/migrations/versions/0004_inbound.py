"""Inbound messages (handset -> our numbers) and an index to find a number by name across scopes.

Revision ID: 0004_inbound
Revises: 0003_deliveries
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004_inbound"
down_revision = "0003_deliveries"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Seq = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("seq", Seq, primary_key=True, autoincrement=True),
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
    )
    op.create_index("ix_inbound_scope", "inbound_messages", ["account_id", "region", "seq"])
    op.create_index("ix_inbound_destination", "inbound_messages", ["destination_number", "seq"])
    op.create_index("ix_resources_type_name", "resources", ["resource_type", "name"])


def downgrade() -> None:
    op.drop_index("ix_resources_type_name", "resources")
    op.drop_table("inbound_messages")
