"""An index on each account's handle in lower case, per platform.

``bot import``, ``bot accounts add`` and ``get_or_create`` look a handle up in any case on the
platforms that fold it (``lower(handle) IN …``). On PostgreSQL each look-up read every account of
the platform: ``bot import`` asks once a batch of 10,000 rows, 76 ms a time at 100,000 stored
accounts, 0.1 ms with this index (docs/development.md, ninth session). SQLite takes it once it
has statistics (``ANALYZE``).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the index."""
    op.create_index("ix_account_platform_folded", "account", ["platform", sa.text("lower(handle)")])


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_account_platform_folded", table_name="account")
