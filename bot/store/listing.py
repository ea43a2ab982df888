"""Accounts as light read-only rows: what the listings, growth, report and digest show.

One Core statement, no ORM object per account: at 100,000 accounts building SQLModel objects
costs seconds (DESIGN.md, performance notes). Writes go through ``bot.store.accounts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from bot.kinds import AccountStatus
from bot.store.history import listing, newest_any
from bot.store.tables import ACCOUNT


@dataclass(frozen=True)
class AccountRow:
    """A stored account as the query commands read it."""

    id: int
    platform: str
    handle: str
    label: str | None
    groups: list[str]
    status: str  # an ``AccountStatus`` value
    created_at: datetime
    last_polled_at: datetime | None
    last_error: str | None
    origin: str | None  # None: history only, declared by nobody
    interval_seconds: int | None  # None: the settings' interval


_COLUMNS = (
    ACCOUNT.c.id,
    ACCOUNT.c.platform,
    ACCOUNT.c.handle,
    ACCOUNT.c.label,
    ACCOUNT.c.groups,
    ACCOUNT.c.status,
    ACCOUNT.c.created_at,
    ACCOUNT.c.last_polled_at,
    ACCOUNT.c.last_error,
    ACCOUNT.c.origin,
    ACCOUNT.c.interval_seconds,
)


def listed_accounts(
    connection: Connection, group: str | None = None, *, removed: bool = False
) -> list[AccountRow]:
    """Stored accounts by platform and handle: one group only, ``removed`` ones if asked."""
    statement = select(*_COLUMNS).order_by(ACCOUNT.c.platform, ACCOUNT.c.handle)
    if not removed:
        statement = statement.where(ACCOUNT.c.status != AccountStatus.REMOVED)
    rows = [AccountRow(*row) for row in connection.execute(statement).all()]
    if group is None:
        return rows
    # groups is a JSON list, read differently by each database: filtered here, on light rows.
    return [row for row in rows if group in (row.groups or [])]


def accounts_with_latest(
    connection: Connection, group: str | None = None, *, removed: bool = False
) -> list[Any]:
    """The listing's rows in one statement: each account with its newest snapshot's counts.

    Fields: platform, handle, label, status, last_polled_at, last_error, followers, posts.
    """
    columns: list[Any] = [
        ACCOUNT.c.platform,
        ACCOUNT.c.handle,
        ACCOUNT.c.label,
        ACCOUNT.c.status,
        ACCOUNT.c.last_polled_at,
        ACCOUNT.c.last_error,
    ]
    # The groups (JSON, decoded row by row) are read only to filter by one, then dropped.
    where = [] if removed else [ACCOUNT.c.status != AccountStatus.REMOVED]
    seeks = [newest_any()]
    if group is None:
        return listing(connection, columns, seeks, where, ("followers", "posts"))
    rows = listing(connection, [*columns, ACCOUNT.c.groups], seeks, where, ("followers", "posts"))
    return [(*row[:6], *row[7:]) for row in rows if group in (row.groups or [])]
