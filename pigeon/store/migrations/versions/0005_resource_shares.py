"""Resource shares: the accounts a resource policy shares each resource with.

Revision ID: 0005_resource_shares
Revises: 0004_inbound
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_resource_shares"
down_revision = "0004_inbound"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resource_shares",
        sa.Column("resource_arn", sa.String(512), primary_key=True),
        sa.Column("grantee", sa.String(12), primary_key=True),
        sa.Column("owner_account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("resource_type", sa.String(40), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_resource_shares_grantee", "resource_shares", ["grantee", "region", "resource_type"])


def downgrade() -> None:
    op.drop_table("resource_shares")
