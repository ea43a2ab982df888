"""Accounts live in the database: each row's origin and own interval, and the store_state table.

Revision ID: 0006
Revises: 0005

An existing row that was ever scheduled or polled came from the config (the only way an
account was scheduled before): it becomes ``origin = 'config'``. A row only ever imported as
history keeps a NULL origin.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add account.origin and account.interval_seconds, create store_state, mark config rows."""
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("origin", sa.String(16), nullable=True))
        batch.add_column(sa.Column("interval_seconds", sa.Integer(), nullable=True))
    op.create_table(
        "store_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
    )
    op.execute(
        "UPDATE account SET origin = 'config'"
        " WHERE next_poll_at IS NOT NULL OR last_polled_at IS NOT NULL"
    )


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_table("store_state")
    with op.batch_alter_table("account") as batch:
        batch.drop_column("interval_seconds")
        batch.drop_column("origin")
