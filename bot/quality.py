"""The quality gate: one set of glitch rules for every observation, polled or imported.

Each follower count is judged against its neighbours on both sides in time:

- a **drop**: more than ``DROP_SHARE`` below the last good count before it (a fall to 0
  included). It stays ``suspect`` until the new level has held for ``confirm_after`` (default
  6 h) across at least ``CONFIRM_OBSERVATIONS`` further observations; then it is a
  ``confirmed_drop`` (a real loss, kept in growth) and the new level is the reference. A count
  back above the line before that makes it a glitch: it stays suspect.
- a **spike**: a count more than ``DROP_SHARE`` above both the good count before it and the
  count after it (``1 - DROP_SHARE`` of it or less on both sides) is suspect too.

Counts of fewer than ``MIN_FOLLOWERS`` are never judged. A point marked by hand (``bot
correct --mark-ok/--mark-suspect``, ``bot import --trust``) is ``pinned``: the gate keeps its
quality and uses it as a reference when it is not suspect. While a platform event lasts
(``hold``), no drop is confirmed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.kinds import Quality

DROP_SHARE = 0.2
# Below this many followers a swing of a fifth is ordinary life, not a glitch.
MIN_FOLLOWERS = 100
# A drop is confirmed by this many further observations at the new level (and by time).
CONFIRM_OBSERVATIONS = 2
CONFIRM_AFTER = timedelta(hours=6)


@dataclass(frozen=True)
class Judged:
    """One observation as the gate sees it."""

    at: datetime
    followers: int | None
    quality: Quality = Quality.OK
    pinned: bool = False  # marked by hand: its quality is kept


def is_drop(before: int | None, after: int | None) -> bool:
    """True when ``after`` is more than ``DROP_SHARE`` below a count worth judging."""
    if before is None or after is None or before < MIN_FOLLOWERS:
        return False
    return after < before * (1 - DROP_SHARE)


def judge(
    points: Sequence[Judged],
    *,
    confirm_after: timedelta = CONFIRM_AFTER,
    hold: bool = False,
    reference: int | None = None,
) -> list[Quality]:
    """The quality of each of ``points`` (oldest first); ``reference``: the good count before."""
    verdicts: list[Quality] = []
    last_good = reference
    for index, point in enumerate(points):
        if point.pinned:
            verdict = Quality(point.quality)
        elif point.followers is None or last_good is None:
            verdict = Quality.OK
        elif is_drop(last_good, point.followers):
            verdict = _drop(points, index, last_good, confirm_after, hold)
        elif _spike(points, index, last_good):
            verdict = Quality.SUSPECT
        else:
            verdict = Quality.OK
        if verdict != Quality.SUSPECT and point.followers is not None:
            last_good = point.followers
        verdicts.append(verdict)
    return verdicts


def _drop(
    points: Sequence[Judged], index: int, last_good: int, confirm_after: timedelta, hold: bool
) -> Quality:
    """A drop is confirmed once the new level held long enough; back up first, a glitch."""
    start = points[index].at
    held = 0
    for later in points[index + 1 :]:
        if later.followers is None or (later.pinned and later.quality == Quality.SUSPECT):
            continue
        if not is_drop(last_good, later.followers):
            return Quality.SUSPECT
        held += 1
        if not hold and held >= CONFIRM_OBSERVATIONS and later.at - start >= confirm_after:
            return Quality.CONFIRMED_DROP
    return Quality.SUSPECT


def _spike(points: Sequence[Judged], index: int, last_good: int) -> bool:
    """True when the point stands far above both the good count before and the count after."""
    followers = points[index].followers
    if not is_drop(followers, last_good):
        return False
    for later in points[index + 1 :]:
        if later.followers is not None and not (later.pinned and later.quality == Quality.SUSPECT):
            return is_drop(followers, later.followers)
    return False
