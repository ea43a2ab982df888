"""A reference model of docs/growth.md, "Growth and the annual report".

Written from those words, not from bot/: plain Python over a list of snapshots, slow and
obvious on purpose. Local days are found by bisection over UTC instants ("the local day from its
midnight up to the next local midnight"), not with the arithmetic bot/clock.py uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

MICRO = timedelta(microseconds=1)
# docs/growth.md: "Tolerances: 3 h for 1d, 21 h for 7d, 3 days 18 h for 30d, 7 days for 90d and
# 365d, 1 day for ytd".
TOLERANCE = {
    "1d": timedelta(hours=3),
    "7d": timedelta(hours=21),
    "30d": timedelta(days=3, hours=18),
    "90d": timedelta(days=7),
    "365d": timedelta(days=7),
    "ytd": timedelta(days=1),
}
DAYS = {"1d": 1, "7d": 7, "30d": 30, "90d": 90, "365d": 365}


@dataclass(frozen=True)
class Snap:
    """One stored snapshot as docs/growth.md speaks of it."""

    at: datetime
    followers: int | None
    posts: int | None
    suspect: bool = False
    precision: int = 1


def first_instant(day: date, tz: ZoneInfo) -> datetime:
    """The first UTC instant (to the microsecond) whose local date in ``tz`` is ``day`` or later."""
    low = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=30)
    high = low + timedelta(hours=60)
    assert low.astimezone(tz).date() < day <= high.astimezone(tz).date()
    while high - low > MICRO:
        middle = low + (high - low) // 2
        if middle.astimezone(tz).date() >= day:
            high = middle
        else:
            low = middle
    return high


def last_instant(day: date, tz: ZoneInfo) -> datetime:
    """The microsecond before the next local midnight."""
    return first_instant(day + timedelta(days=1), tz) - MICRO


def current(snaps: list[Snap], t: datetime) -> Snap | None:
    """The newest good snapshot at or before t."""
    good = [s for s in snaps if not s.suspect and s.at <= t]
    return max(good, key=lambda s: s.at, default=None)


def baseline(snaps: list[Snap], t: datetime, period: str, tz: ZoneInfo) -> Snap | None:
    """The good snapshot nearest t - P within the tolerance, older than the current figure."""
    now = current(snaps, t)
    if now is None:
        return None
    if period == "ytd":
        target = first_instant(date(t.astimezone(tz).year, 1, 1), tz)
    else:
        target = t - timedelta(days=DAYS[period])
    candidates = [
        s
        for s in snaps
        if not s.suspect and s.at < now.at and abs(s.at - target) <= TOLERANCE[period]
    ]
    # Nearest first; of two at the same distance, the older one.
    return min(candidates, key=lambda s: (abs(s.at - target), s.at), default=None)


def change(start: Snap, end: Snap) -> tuple[int | None, float | None]:
    """change and growth % of followers from ``start`` to ``end``, by docs/growth.md's rules."""
    if start.followers is None or end.followers is None:
        return None, None
    difference = end.followers - start.followers
    if abs(difference) < max(start.precision, end.precision):
        difference = 0
    if start.followers <= 0:
        return difference, None
    pct = Decimal(difference) * 100 / Decimal(start.followers)
    sign = -1 if pct < 0 else 1
    rounded = abs(pct).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * sign
    return difference, float(rounded) + 0.0


def posts_change(start: Snap, end: Snap) -> int | None:
    """The difference of post counts, when both are known."""
    if start.posts is None or end.posts is None:
        return None
    return end.posts - start.posts


def growth_row(snaps: list[Snap], t: datetime, period: str, tz: ZoneInfo) -> dict[str, Any]:
    """What `bot growth` should say for one account."""
    now = current(snaps, t)
    base = baseline(snaps, t, period, tz)
    if now is None or base is None:
        return {
            "followers": None if now is None else now.followers,
            "previous": None,
            "change": None,
            "growth_pct": None,
            "posts_change": None,
            "from": None,
            "to": None if now is None else now.at,
        }
    difference, pct = change(base, now)
    return {
        "followers": now.followers,
        "previous": base.followers,
        "change": difference,
        "growth_pct": pct,
        "posts_change": posts_change(base, now),
        "from": base.at,
        "to": now.at,
    }


def report_row(snaps: list[Snap], first: datetime, last: datetime) -> dict[str, Any]:
    """Start and end: the last good snapshot on or before each end of the range."""
    start, end = current(snaps, first), current(snaps, last)
    if start is None or end is None:
        return {"start": start, "end": end, "change": None, "pct": None, "posts": None}
    difference, pct = change(start, end)
    return {
        "start": start,
        "end": end,
        "change": difference,
        "pct": pct,
        "posts": posts_change(start, end),
    }


def bucket_of(at: datetime, every: str, tz: ZoneInfo) -> Any:
    """The local day, ISO week or calendar month of an instant."""
    local = at.astimezone(tz)
    if every == "day":
        return local.date()
    if every == "week":
        return local.isocalendar()[:2]
    return (local.year, local.month)


def snapshot_rows(
    snaps: list[Snap], since: datetime | None, until: datetime | None, every: str, tz: ZoneInfo
) -> list[Snap]:
    """`bot snapshots`: every row in range, or the last good one of each local bucket."""
    chosen = sorted(
        (
            s
            for s in snaps
            if (since is None or s.at >= since) and (until is None or s.at <= until)
        ),
        key=lambda s: s.at,
    )
    if every == "raw":
        return chosen
    last: dict[Any, Snap] = {}
    for snap in chosen:
        if not snap.suspect:
            last[bucket_of(snap.at, every, tz)] = snap
    return sorted(last.values(), key=lambda s: s.at)


def daily_followers(snaps: list[Snap], day: date, tz: ZoneInfo) -> list[int | None]:
    """The last follower count among each local day's good snapshots, 30 days ending on ``day``."""
    values: list[int | None] = []
    for back in range(29, -1, -1):
        one = day - timedelta(days=back)
        first, last = first_instant(one, tz), last_instant(one, tz)
        counted = [
            s
            for s in snaps
            if not s.suspect and first <= s.at <= last and s.followers is not None
        ]
        newest = max(counted, key=lambda s: s.at, default=None)
        values.append(None if newest is None else newest.followers)
    return values
