"""When an imported row was captured: ISO 8601 text to an aware UTC instant, checked."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import day_bounds
from bot.io.problems import _RowError, _show

# A clock this far ahead of ours is still believed; any later ``captured_at`` is refused.
FUTURE_SKEW = timedelta(minutes=5)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
)


def _captured_at(raw: str, tz: ZoneInfo, now: datetime | None = None) -> datetime:
    """An ISO 8601 date or date-time as aware UTC; dates and naive times are local to ``tz``.

    A date alone is the end of that local day (the count a spreadsheet writes for it), but never
    later than ``now``. A time after ``now`` (plus ``FUTURE_SKEW``) or before 1970 is refused.
    """
    text = raw.strip().upper()
    if not text:
        raise _RowError("captured_at is empty")
    try:
        if not _ISO.fullmatch(text):
            raise ValueError(text)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise _RowError(
            f"captured_at {_show(raw.strip())} is not an ISO 8601 date or date-time"
            " (e.g. 2021-12-31, 2021-12-31T23:00:00 or 2021-12-31T23:00:00Z)"
        ) from None
    try:
        if value.tzinfo is not None:
            when = value.astimezone(UTC)
        elif len(text) == len("2021-12-31"):
            when = day_end(value.date(), tz, now)
        else:
            when = _local(value, tz)
    except OverflowError:
        # Year 1 or 9999 shifted out of range by a time zone: before 1970 or in the future.
        edge = datetime.min if value.year < EPOCH.year else datetime.max
        when = edge.replace(tzinfo=UTC)
    return checked_time(when, raw.strip(), now)


def day_end(day: date, tz: ZoneInfo, now: datetime | None) -> datetime:
    """The last instant of a local day, or ``now`` while that day is not over."""
    first, last = day_bounds(day, tz)
    if now is None or first > now:
        return last  # a day not begun yet is in the future: ``checked_time`` says so
    return min(last, now)


def checked_time(when: datetime, raw: str, now: datetime | None) -> datetime:
    """``when`` if it is from 1970 on and not later than ``now`` (plus ``FUTURE_SKEW``)."""
    if when < EPOCH:
        raise _RowError(f"captured_at {_show(raw)} is before 1970")
    if now is not None and when > now + FUTURE_SKEW:
        shown = now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        raise _RowError(f"captured_at {_show(raw)} is in the future (now is {shown})")
    return when


def _local(naive: datetime, tz: ZoneInfo) -> datetime:
    """A wall-clock time in ``tz`` as UTC; the earlier one when ambiguous, error when skipped."""
    utc = naive.replace(tzinfo=tz).astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != naive:
        raise _RowError(
            f"captured_at {naive.isoformat(' ')} does not exist in {tz}"
            " (the clocks skipped it); give an offset"
        )
    return utc
