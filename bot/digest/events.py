"""Pure rules behind the digest's highlights: milestones, projections, movers, platform events.

Projection method: the central date is when the next milestone is reached at the account's
30-day pace (followers gained per day over the 30-day window). The range runs from the date at
the faster to the date at the slower of the 7-day and 30-day paces, and is never narrower than
the 30-day pace ±25%: a week is a noisy sample. A 7-day pace that is not positive is left out.
Nothing is projected for an account that is not growing over 30 days, or whose central date is
more than ``HORIZON_DAYS`` away; a range end beyond the horizon is open (``None``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.growth import Point

# 1k and 5k, then 10k, 25k, 50k, 100k, 250k, 500k, 1M, 2.5M… up to 500 billion.
DEFAULT_MILESTONES: tuple[int, ...] = (
    1_000,
    5_000,
    *(int(m * 10**k) for k in range(4, 12) for m in (1, 2.5, 5)),
)
HORIZON_DAYS = 3 * 365
BAND = 0.25
# A day's loss of this share (in %) counts towards a platform event; quality flags count too.
EVENT_DROP_PCT = -1.0
# Below this many followers, one unfollow is already a percent: too small to say anything.
EVENT_MIN_FOLLOWERS = 100
MOVERS_PER_DIRECTION = 3


@dataclass(frozen=True)
class Range:
    """A projected date and its range."""

    expected: date
    earliest: date
    latest: date | None


def crossed(
    milestones: Sequence[int], start: int | None, points: Iterable[Point]
) -> list[tuple[int, datetime]]:
    """Milestones above ``start`` (the count before the day) reached by ``points``, with when."""
    if start is None:
        # No count before the day: a first snapshot is not a crossing.
        return []
    pending = sorted(m for m in milestones if m > start)
    found: list[tuple[int, datetime]] = []
    for point in sorted(points, key=lambda p: p.at):
        if point.followers is None:
            continue
        while pending and point.followers >= pending[0]:
            found.append((pending.pop(0), point.at))
    return found


def next_milestone(milestones: Sequence[int], followers: int | None) -> int | None:
    """The smallest milestone above ``followers``."""
    if followers is None:
        return None
    return min((m for m in milestones if m > followers), default=None)


def pace(change: int | None, start: datetime | None, end: datetime | None) -> float | None:
    """Followers per day between two snapshots."""
    if change is None or start is None or end is None or end <= start:
        return None
    return change / ((end - start).total_seconds() / 86400)


def project(
    followers: int, milestone: int, today: date, pace30: float | None, pace7: float | None
) -> Range | None:
    """When ``milestone`` is reached from ``followers`` on ``today`` (see the module docstring)."""
    if pace30 is None or pace30 <= 0 or milestone <= followers:
        return None
    remaining = milestone - followers
    paces = [pace30] + ([pace7] if pace7 is not None and pace7 > 0 else [])
    fast = max(*paces, pace30 * (1 + BAND))
    slow = min(*paces, pace30 * (1 - BAND))

    def days(per_day: float) -> int:
        return math.ceil(remaining / per_day)

    if days(pace30) > HORIZON_DAYS:
        return None
    latest = days(slow)
    return Range(
        expected=today + timedelta(days=days(pace30)),
        earliest=today + timedelta(days=days(fast)),
        latest=today + timedelta(days=latest) if latest <= HORIZON_DAYS else None,
    )


@dataclass(frozen=True)
class Move:
    """An account's change over one window, as the movers ranking sees it."""

    key: str
    change: int | None
    growth_pct: float | None


def movers(moves: Iterable[Move], n: int = MOVERS_PER_DIRECTION) -> tuple[list[Move], list[Move]]:
    """The ``n`` biggest gains and losses by growth %, ties broken by the absolute change."""
    known = [m for m in moves if m.change and m.growth_pct is not None]
    ups = sorted(
        (m for m in known if (m.change or 0) > 0),
        key=lambda m: (-(m.growth_pct or 0), -(m.change or 0), m.key),
    )
    downs = sorted(
        (m for m in known if (m.change or 0) < 0),
        key=lambda m: (m.growth_pct or 0, m.change or 0, m.key),
    )
    return ups[:n], downs[:n]


def is_day_drop(previous: int | None, growth_pct: float | None) -> bool:
    """True when a day's change is a loss worth counting towards a platform event."""
    if previous is None or growth_pct is None or previous < EVENT_MIN_FOLLOWERS:
        return False
    return growth_pct <= EVENT_DROP_PCT


def platform_events(
    dropped: Mapping[str, set[str]], totals: Mapping[str, int]
) -> list[tuple[str, tuple[str, ...]]]:
    """Platforms where 2+ accounts, and at least half of them, dropped the same day."""
    events = []
    for platform in sorted(dropped):
        handles = dropped[platform]
        if len(handles) >= 2 and 2 * len(handles) >= totals.get(platform, 0):
            events.append((platform, tuple(sorted(handles))))
    return events
