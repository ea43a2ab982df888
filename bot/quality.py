"""Glitch rules applied to each new observation before it is stored.

A count that falls by more than ``DROP_SHARE`` (a fall to 0 included) against the last good
snapshot is stored as ``suspect`` and left out of growth. The next poll decides: still down, and
the suspect point becomes a ``confirmed_drop`` (a real loss, kept in growth); back up, and it
stays suspect (a platform glitch).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.growth import Point
from bot.kinds import Quality
from bot.platforms.base import Observation

DROP_SHARE = 0.2
# Below this many followers a swing of a fifth is ordinary life, not a glitch.
MIN_FOLLOWERS = 100


@dataclass(frozen=True)
class Verdict:
    """The quality of the new snapshot, and whether it confirms the previous suspect drop."""

    quality: Quality = Quality.OK
    confirms_drop: bool = False


def is_drop(before: int | None, after: int | None) -> bool:
    """True when ``after`` is more than ``DROP_SHARE`` below a count worth judging."""
    if before is None or after is None or before < MIN_FOLLOWERS:
        return False
    return after < before * (1 - DROP_SHARE)


def assess(last_good: Point | None, last_suspect: bool, current: Observation) -> Verdict:
    """Judge ``current`` against the last good point; ``last_suspect``: newest one is suspect."""
    if current.followers is None or last_good is None:
        return Verdict()
    dropped = is_drop(last_good.followers, current.followers)
    if last_suspect:
        # Still down: the drop was real. Back up: the suspect point was a glitch.
        return Verdict(confirms_drop=dropped)
    return Verdict(Quality.SUSPECT) if dropped else Verdict()
