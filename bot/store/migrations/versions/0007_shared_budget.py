"""One request budget for many workers: the rate_budget table (a sliding window per budget).

Revision ID: 0007
Revises: 0005
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the rate_budget table (empty: each budget's row is made on first use)."""
    op.create_table(
        "rate_budget",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("per_seconds", sa.Float(), nullable=False),
        sa.Column("log", sa.JSON(), nullable=False),
        sa.Column("header_left", sa.Integer(), nullable=True),
        sa.Column("header_reset", sa.Float(), nullable=True),
        sa.Column("updated_at", sqlmodel.UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_table("rate_budget")
