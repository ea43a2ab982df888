"""Daemon state: account leases, per-platform health, digest delivery errors.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add lease columns, digest_run.last_error and the platform_state table."""
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(64), nullable=True))
        batch.add_column(sa.Column("lease_until", sqlmodel.UTCDateTime(), nullable=True))
    with op.batch_alter_table("digest_run") as batch:
        batch.add_column(sa.Column("last_error", sa.String(500), nullable=True))
    op.create_table(
        "platform_state",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("until", sqlmodel.UTCDateTime(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("last_success_at", sqlmodel.UTCDateTime(), nullable=True),
        sa.Column("last_failure_at", sqlmodel.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("rate_limited", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sqlmodel.UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_table("platform_state")
    with op.batch_alter_table("digest_run") as batch:
        batch.drop_column("last_error")
    with op.batch_alter_table("account") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
