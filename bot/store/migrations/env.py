"""Alembic environment: runs on the connection the bot hands over (no ini file, no URL here)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import bot.store.models  # noqa: F401  (registers the tables on the metadata)
from bot.store.owner import compared

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_object=compared(connection.dialect.name),
)
with context.begin_transaction():
    context.run_migrations()
