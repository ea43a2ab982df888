"""Corrections with an audit trail, and published figures (totals imported with --figures).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the published_figure and correction tables."""
    op.create_table(
        "published_figure",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("account.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("to_date", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("source_file", sa.String(255), nullable=False),
        sa.Column("imported_at", sqlmodel.UTCDateTime(), nullable=False),
        sa.UniqueConstraint(
            "account_id", "from_date", "to_date", "metric", name="uq_published_figure_span"
        ),
    )
    op.create_table(
        "correction",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("account.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("captured_at", sqlmodel.UTCDateTime(), nullable=True),
        sa.Column(
            "figure_id",
            sa.Integer(),
            sa.ForeignKey("published_figure.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("old_value", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("new_value", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("origin", sa.String(255), nullable=False),
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("at", sqlmodel.UTCDateTime(), nullable=False),
        sa.Column("undone_at", sqlmodel.UTCDateTime(), nullable=True),
    )
    op.create_index("ix_correction_account_captured", "correction", ["account_id", "captured_at"])


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_index("ix_correction_account_captured", "correction")
    op.drop_table("correction")
    op.drop_table("published_figure")
