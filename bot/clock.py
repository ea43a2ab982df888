"""Injected clocks, and local days: the scheduler, the poller and growth never call ``now``.

A local day runs from its local midnight to the next one, both found in UTC (``day_start``): on
days when clocks change it lasts 23 or 25 hours, and a midnight that a clock change skips is the
instant of the change. Every command takes its day boundaries from here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told: for tests, the demo and the simulator."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` and return the new time."""
        self._now += delta
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (aware)."""
        self._now = when.astimezone(UTC)


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of a local day, in UTC."""
    # fold=0: an ambiguous midnight is its first occurrence, a skipped one the change's instant.
    return datetime.combine(day, time.min, tz).astimezone(UTC)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The first and last instant (microsecond) of a local day, in UTC (23 or 25 h on DST days)."""
    # The next midnight is found in UTC first: subtracting in wall-clock time would land in the
    # first pass of an hour that clocks repeat at midnight, an hour early.
    return day_start(day, tz), day_start(day + timedelta(days=1), tz) - timedelta(microseconds=1)
