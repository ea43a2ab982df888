"""Instants as the store keeps them: aware datetimes, in UTC, and why a naive one is refused.

Every path that writes an instant (Core and ORM statements through ``UTCDateTime``, SQLite's
bulk text in bot/store/bulk.py, PostgreSQL's arrays in bot/store/arrays.py) refuses a naive
datetime with the same words.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Dialect, Interval, TypeDecorator


def naive(value: datetime) -> str:
    """Why a datetime without a zone is refused."""
    return f"datetime {value.isoformat()} has no timezone: its instant would be a guess"


class UTCDateTime(TypeDecorator[datetime]):
    """An aware instant, stored in UTC and read back in UTC (SQLite keeps no offset)."""

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def __repr__(self) -> str:
        """What Alembic writes into a generated migration: it must call this class as it is."""
        return "UTCDateTime()"

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        """Instants minus a duration compare as intervals, not as instants."""
        return Interval() if isinstance(value, timedelta) else self

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """The instant in UTC; a naive datetime is refused."""
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(naive(value))
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """The stored instant in UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)
