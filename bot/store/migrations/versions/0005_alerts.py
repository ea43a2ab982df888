"""Immediate alerts: the alert table and its per-channel deliveries.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
# "0004" is being added on another branch; until it is merged this follows "0003".
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the alert and alert_delivery tables."""
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("account.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("platform", sa.String(32), nullable=True),
        sa.Column("opened_at", sqlmodel.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", sqlmodel.UTCDateTime(), nullable=True),
        sa.Column("open_key", sa.String(255), nullable=True, unique=True),
        sa.Column("message", sa.String(500), nullable=False),
        sa.Column("resolve_message", sa.String(500), nullable=True),
        sa.Column("detail", sa.JSON(none_as_null=True), nullable=True),
    )
    op.create_index("ix_alert_opened_at", "alert", ["opened_at"])
    op.create_table(
        "alert_delivery",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "alert_id",
            sa.Integer(),
            sa.ForeignKey("alert.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("phase", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", sqlmodel.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.UniqueConstraint("alert_id", "phase", "channel", name="uq_alert_delivery_phase_channel"),
    )


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_table("alert_delivery")
    op.drop_index("ix_alert_opened_at", "alert")
    op.drop_table("alert")
