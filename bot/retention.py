"""Which old snapshots ``bot compact`` may remove without changing a figure (pure, no I/O).

Every figure the bot computes reads snapshots through a handful of seeks: the newest good
snapshot before an instant, and the oldest good one at or after it (bot/store/history.py). A
good snapshot is one not marked suspect. Call *anchors* the instants those seeks are asked about
for the figures that stand for whole local days: each local day's start (reports, ``ytd``, the
newest snapshot by a day's end) and each day's end minus every growth period (``growth --at
DATE``, the digest's windows; they differ from a day's start only across a clock change).

A good snapshot is kept when it is the answer to one of those seeks: when an anchor lies
between its good neighbours, ``(previous, next]``. Its good predecessor is kept too when the
next good snapshot comes more than a day later (growth then compares the last two snapshots
before the gap). Flagged snapshots are all kept. Keeping more never changes an answer, so a
second run with the same cut removes nothing.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import day_bounds, day_start
from bot.growth import PERIODS

# A gap longer than the shortest growth period lets a later figure compare the two points
# before it (its current point and the one before): see the module docstring.
_SHORTEST = min(PERIODS.values())
# The longest look-back from a day's end: a day as late as this after the cut still asks about
# instants before it.
_LONGEST = max(PERIODS.values()) + timedelta(days=2)
OK = "ok"


@dataclass(frozen=True, slots=True)
class Stored:
    """One snapshot as compaction sees it."""

    id: int
    captured_at: datetime
    quality: str


def cut(now: datetime, keep: timedelta, tz: ZoneInfo) -> datetime:
    """The start of the local day ``keep`` before ``now``: every snapshot from then on stays."""
    return day_start((now - keep).astimezone(tz).date(), tz)


def anchors(first: datetime, cutoff: datetime, tz: ZoneInfo) -> list[datetime]:
    """The instants from ``first`` up to and including ``cutoff`` that figures seek around."""
    found: set[datetime] = {cutoff}
    day: date = first.astimezone(tz).date() - timedelta(days=1)
    last = (cutoff + _LONGEST).astimezone(tz).date()
    while day <= last:
        start, end = day_bounds(day, tz)
        found.add(start)
        found.update(end - period for period in PERIODS.values())
        day += timedelta(days=1)
    return sorted(t for t in found if t <= cutoff)


def removable(
    points: Sequence[Stored], marks: Sequence[datetime], referenced: frozenset[datetime]
) -> list[int]:
    """Ids among one account's ``points`` (before the cut, oldest first) no figure reads.

    ``marks``: the sorted anchors; ``referenced``: instants the audit trail names (kept).
    """
    good = [p for p in points if p.quality == OK]
    keep: set[int] = set()
    for i, point in enumerate(good):
        before = good[i - 1].captured_at if i else None
        after = good[i + 1].captured_at if i + 1 < len(good) else None
        if _anchor_within(marks, before, after):
            keep.add(i)
            # Only the last good point before the cut has no known successor: treat it as a gap.
            if i and (after is None or after - point.captured_at > _SHORTEST):
                keep.add(i - 1)
    return [
        p.id for i, p in enumerate(good) if i not in keep and p.captured_at not in referenced
    ]


def _anchor_within(marks: Sequence[datetime], low: datetime | None, high: datetime | None) -> bool:
    """Whether an anchor lies in ``(low, high]`` (unbounded where None)."""
    index = 0 if low is None else bisect_right(marks, low)
    return index < len(marks) and (high is None or marks[index] <= high)
