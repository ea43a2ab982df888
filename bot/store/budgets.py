"""The rate_budget table: token buckets that several workers draw from with one statement each.

A grant is one ``UPDATE … RETURNING``: the row is refilled to ``now`` (``rate`` tokens a second,
never above ``capacity``), capped by what the platform's rate headers last said, and up to
``want`` whole tokens are taken if at least ``least`` are there. The row lock the UPDATE takes
serializes workers on PostgreSQL, so no two grants spend the same token. Tokens are stored in
millionths and times as epoch seconds from the caller's (injected) clock, so the same statement
runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    and_,
    case,
    cast,
    literal,
    select,
    update,
)

from bot.store.tables import RATE_BUDGET, insert_new

MICRO = 1_000_000
T = RATE_BUDGET.c


@dataclass(frozen=True)
class BucketRow:
    """What a statement left in one bucket: the grant and the state after it."""

    granted: int
    tokens: float
    rate: float
    header_left: int | None
    header_reset: float | None


def _least(a: Any, b: Any) -> ColumnElement[Any]:
    """``LEAST(a, b)`` written as a CASE: SQLite spells it ``min``."""
    return case((a < b, a), else_=b)


def _header_live(now: float) -> ColumnElement[bool]:
    """True while the platform's last header figure still holds."""
    return and_(T.header_reset.is_not(None), T.header_reset > now)


def ensure(connection: Connection, key: str, *, capacity: int, rate: float, now: float) -> None:
    """Create the bucket full if it does not exist yet (a no-op when another worker did)."""
    statement = insert_new(connection.dialect, RATE_BUDGET, unique=["key"]).values(
        key=key,
        capacity=capacity * MICRO,
        rate=rate,
        tokens=capacity * MICRO,
        refilled_at=now,
        granted=0,
        updated_at=datetime.fromtimestamp(now, UTC),
    )
    connection.execute(statement)


def take(
    connection: Connection,
    key: str,
    *,
    capacity: int,
    rate: float,
    want: int,
    least: int,
    now: float,
) -> BucketRow:
    """Take up to ``want`` whole tokens (none unless ``least`` are there); the row after it."""
    elapsed = case((T.refilled_at < now, literal(now) - T.refilled_at), else_=0.0)
    refilled = _least(T.tokens + cast(elapsed * T.rate * MICRO, BigInteger), T.capacity)
    whole = refilled // MICRO
    live = _header_live(now)
    usable = case((and_(live, T.header_left < whole), T.header_left), else_=whole)
    grant = case((usable >= least, _least(literal(want), usable)), else_=0)
    statement = (
        update(RATE_BUDGET)
        .where(T.key == key)
        .values(
            tokens=refilled - grant * MICRO,
            refilled_at=case((T.refilled_at < now, now), else_=T.refilled_at),
            granted=grant,
            header_left=case((live, T.header_left - grant), else_=None),
            header_reset=case((live, T.header_reset), else_=None),
            # The configuration is the workers': the latest one to ask sets the bucket's size.
            capacity=capacity * MICRO,
            rate=rate,
            updated_at=datetime.fromtimestamp(now, UTC),
        )
        .returning(T.granted, T.tokens, T.rate, T.header_left, T.header_reset)
    )
    row = connection.execute(statement).one()
    return BucketRow(
        granted=int(row.granted),
        tokens=row.tokens / MICRO,
        rate=float(row.rate),
        header_left=row.header_left,
        header_reset=row.header_reset,
    )


def give_back(connection: Connection, key: str, *, count: int, now: float) -> None:
    """Return ``count`` granted tokens that were never spent (never above the capacity)."""
    live = _header_live(now)
    connection.execute(
        update(RATE_BUDGET)
        .where(T.key == key)
        .values(
            tokens=_least(T.tokens + count * MICRO, T.capacity),
            header_left=case((live, T.header_left + count), else_=T.header_left),
        )
    )


def lower(connection: Connection, key: str, *, left: int, reset: float, now: float) -> None:
    """The platform says ``left`` requests remain until ``reset``: no more are granted till then."""
    live = _header_live(now)
    keep = and_(live, T.header_left <= left, T.header_reset >= reset)
    connection.execute(
        update(RATE_BUDGET)
        .where(T.key == key)
        .values(
            header_left=case((keep, T.header_left), else_=left),
            header_reset=case((keep, T.header_reset), else_=reset),
        )
    )


def bucket(connection: Connection, key: str) -> BucketRow | None:
    """One bucket as stored (tests and ``bot status`` read it), or None."""
    row = connection.execute(
        select(T.granted, T.tokens, T.rate, T.header_left, T.header_reset).where(T.key == key)
    ).one_or_none()
    if row is None:
        return None
    return BucketRow(
        int(row.granted), row.tokens / MICRO, float(row.rate), row.header_left, row.header_reset
    )
