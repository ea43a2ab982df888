"""Accounts as light read-only rows: what the listings, growth, report and digest show.

One Core statement, no ORM object per account: at 100,000 accounts building SQLModel objects
costs seconds (DESIGN.md, performance notes). Writes go through ``bot.store.accounts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Dialect, Text, cast, false, func, select
from sqlalchemy.sql.elements import ColumnElement

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


def in_group(dialect: Dialect, group: str) -> ColumnElement[bool]:
    """True for an account whose groups (a JSON list of names) hold ``group``, exactly."""
    if "\x00" in group:
        # No stored name holds a control character (the config refuses them), and PostgreSQL
        # takes no NUL in a text parameter: such a name is nobody's group, not an error.
        return false()
    if dialect.name == "postgresql":
        # Containment decodes the stored escapes, compares exactly (never as a pattern) and
        # is false, not an error, for a value that is not an array of strings.
        wanted = func.jsonb_build_array(cast(group, Text))
        return func.to_jsonb(ACCOUNT.c.groups).op("@>", is_comparison=True)(wanted)
    members = func.json_each(ACCOUNT.c.groups).table_valued("type", "value")
    kept = (
        func.json_type(ACCOUNT.c.groups) == "array",
        members.c.type == "text",
        members.c.value == group,
    )
    return select(members.c.value).where(*kept).exists()


def chosen(dialect: Dialect, group: str | None, removed: bool) -> list[ColumnElement[bool]]:
    """The conditions of a listing: not removed unless asked, one group's members if named."""
    where = [] if removed else [ACCOUNT.c.status != AccountStatus.REMOVED]
    return where if group is None else [*where, in_group(dialect, group)]


def listed_accounts(
    connection: Connection, group: str | None = None, *, removed: bool = False
) -> list[AccountRow]:
    """Stored accounts by platform and handle: one group only, ``removed`` ones if asked."""
    statement = (
        select(*_COLUMNS)
        .where(*chosen(connection.dialect, group, removed))
        .order_by(ACCOUNT.c.platform, ACCOUNT.c.handle)
    )
    return [AccountRow(*row) for row in connection.execute(statement).all()]


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
    where = chosen(connection.dialect, group, removed)
    return listing(connection, columns, [newest_any()], where, ("followers", "posts"))
