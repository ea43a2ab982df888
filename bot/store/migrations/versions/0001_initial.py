"""Initial schema: account, snapshot, poll_attempt, digest_run.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the four tables and their indexes."""
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("handle", sa.String(255), nullable=False),
        sa.Column("platform_id", sa.String(255), nullable=True),
        sa.Column("display_name", sa.String(255), nullable=True),
        sa.Column("label", sa.String(255), nullable=True),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("next_poll_at", sqlmodel.UTCDateTime(), nullable=True),
        sa.Column("last_polled_at", sqlmodel.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", sqlmodel.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("platform", "handle", name="uq_account_platform_handle"),
    )
    op.create_index("ix_account_platform_id", "account", ["platform", "platform_id"])
    op.create_index("ix_account_next_poll_at", "account", ["next_poll_at"])
    op.create_table(
        "snapshot",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("account.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("captured_at", sqlmodel.UTCDateTime(), nullable=False),
        sa.Column("followers", sa.BigInteger(), nullable=True),
        sa.Column("following", sa.BigInteger(), nullable=True),
        sa.Column("posts", sa.BigInteger(), nullable=True),
        sa.Column("extra", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("precision", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("quality", sa.String(16), nullable=False),
        sa.UniqueConstraint("account_id", "captured_at", name="uq_snapshot_account_captured"),
    )
    op.create_table(
        "poll_attempt",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("account.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("started_at", sqlmodel.UTCDateTime(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("message", sa.String(500), nullable=True),
    )
    op.create_index("ix_poll_attempt_account_started", "poll_attempt", ["account_id", "started_at"])
    op.create_table(
        "digest_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("digest_date", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", sqlmodel.UTCDateTime(), nullable=True),
        sa.UniqueConstraint("digest_date", "channel", name="uq_digest_run_date_channel"),
    )


def downgrade() -> None:
    """Drop everything."""
    op.drop_table("digest_run")
    op.drop_table("poll_attempt")
    op.drop_table("snapshot")
    op.drop_index("ix_account_next_poll_at", "account")
    op.drop_index("ix_account_platform_id", "account")
    op.drop_table("account")
