"""Glitch rules applied to each new observation before it is stored."""

from __future__ import annotations

from bot.growth import Point
from bot.platforms.base import Observation

# Below this, a fall to zero is plausible (a small or new account); above it, a glitch.
ZERO_AFTER = 1000


def assess(previous: Point | None, current: Observation) -> str:
    """``"suspect"`` for a count of 0 after thousands, else ``"ok"``."""
    if previous is None or previous.followers is None:
        return "ok"
    if current.followers == 0 and previous.followers >= ZERO_AFTER:
        return "suspect"
    return "ok"
