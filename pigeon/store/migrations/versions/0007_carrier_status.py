"""Carrier connection state, as each process last saw its binds.

Revision ID: 0007_carrier_status
Revises: 0006_carriers
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007_carrier_status"
down_revision = "0006_carriers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "carrier_status",
        sa.Column("process", sa.String(128), primary_key=True),
        sa.Column("carrier", sa.String(64), primary_key=True),
        sa.Column("bind", sa.Integer, primary_key=True),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("status", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("carrier_status")
