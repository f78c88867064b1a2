"""Carriers: the carrier's id of each submitted part (receipts find their message), handsets' message parts.

Revision ID: 0006_carriers
Revises: 0005_resource_shares
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_carriers"
down_revision = "0005_resource_shares"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "carrier_parts",
        sa.Column("carrier", sa.String(64), primary_key=True),
        sa.Column("carrier_message_id", sa.String(65), primary_key=True),
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("part", sa.Integer, nullable=False),
        sa.Column("parts", sa.Integer, nullable=False),
        sa.Column("status", sa.String(32), nullable=True),
        sa.Column("detail", sa.String(256), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_carrier_parts_message", "carrier_parts", ["message_id"])
    op.create_table(
        "inbound_fragments",
        sa.Column("carrier", sa.String(64), primary_key=True),
        sa.Column("origination_number", sa.String(21), primary_key=True),
        sa.Column("destination_number", sa.String(21), primary_key=True),
        sa.Column("reference", sa.Integer, primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("inbound_fragments")
    op.drop_table("carrier_parts")
