"""Call attempts: each voice call a SIP carrier placed, written before its INVITE (never call twice).

Revision ID: 0008_call_attempts
Revises: 0007_carrier_status
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_call_attempts"
down_revision = "0007_carrier_status"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_attempts",
        sa.Column("message_id", sa.String(36), primary_key=True),
        sa.Column("carrier", sa.String(64), nullable=False),
        sa.Column("attempted_at", sa.Float, nullable=False),
        sa.Column("deadline", sa.Float, nullable=False),
    )
    op.create_index("ix_call_attempts_deadline", "call_attempts", ["carrier", "deadline"])


def downgrade() -> None:
    op.drop_table("call_attempts")
