"""Platform events: many accounts of one platform turning suspect in the same poll cycle.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the platform_event table."""
    op.create_table(
        "platform_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("started_at", sqlmodel.UTCDateTime(), nullable=False),
        sa.Column("ended_at", sqlmodel.UTCDateTime(), nullable=True),
        sa.Column("suspect", sa.Integer(), nullable=False),
        sa.Column("polled", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_platform_event_platform_started", "platform_event", ["platform", "started_at"]
    )


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_index("ix_platform_event_platform_started", "platform_event")
    op.drop_table("platform_event")
