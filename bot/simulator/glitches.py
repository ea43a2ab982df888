"""Count glitches: the counters source every simulated platform reads, with per-handle overrides.

A glitch makes the next ``times`` answers for one handle report a follower count of 0
("zero") or ``followers * factor`` ("drop"); ``times=None`` keeps it from now on. Every
simulated platform reads its counters through one ``CounterSource``, so a glitch works the
same on all of them without code in each.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, get_args

from bot.simulator.counters import Counters, counters_for
from bot.simulator.hostile import HOSTILE_KINDS, HostileKind, hostile_marker

GlitchKind = Literal["zero", "drop"]
GLITCH_KINDS: frozenset[str] = frozenset(get_args(GlitchKind))


def glitch_key(handle: str) -> str:
    """The handle as glitches match it: case-insensitive, no leading @, no ``@instance``."""
    return handle.strip().lstrip("@").lower().partition("@")[0]


@dataclass
class _Glitch:
    """One pending glitch: its kind, answers left (None = for good) and drop factor."""

    kind: GlitchKind
    left: int | None
    factor: float


class CounterSource:
    """``counters_for`` with glitches; simulated platforms call it as ``source(platform, …)``."""

    def __init__(self) -> None:
        self._glitches: dict[tuple[str, str], _Glitch] = {}
        self._hostile: dict[tuple[str, str], HostileKind] = {}

    @property
    def any_hostile(self) -> bool:
        """True once an account answers a hostile value (bodies are then rewritten)."""
        return bool(self._hostile)

    def hostile(self, platform: str, handle: str, kind: HostileKind) -> None:
        """From now on ``handle``'s follower count is served as ``kind`` (see faults.py)."""
        if kind not in HOSTILE_KINDS:
            raise ValueError(
                f"unknown hostile kind {kind!r}; expected one of {sorted(HOSTILE_KINDS)}"
            )
        key = glitch_key(handle)
        if not key:
            raise ValueError("a hostile value needs a handle")
        self._hostile[(platform, key)] = kind

    def glitch(
        self,
        platform: str,
        handle: str,
        kind: GlitchKind,
        times: int | None = 1,
        factor: float = 0.5,
    ) -> None:
        """The next ``times`` answers for ``handle`` report 0 or ``factor`` x the followers."""
        if kind not in GLITCH_KINDS:
            raise ValueError(
                f"unknown glitch kind {kind!r}; expected one of {sorted(GLITCH_KINDS)}"
            )
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for a lasting glitch")
        if not 0.0 <= factor < 1.0:
            raise ValueError(f"factor must be at least 0 and below 1, not {factor}")
        key = glitch_key(handle)
        if not key:
            raise ValueError("a glitch needs a handle")
        self._glitches[(platform, key)] = _Glitch(kind, times, factor)

    def clear(self) -> None:
        """Forget every glitch and hostile value."""
        self._glitches.clear()
        self._hostile.clear()

    def pending(self, platform: str, handle: str) -> int | None:
        """Glitched answers left for ``handle`` (None when lasting, 0 when none)."""
        glitch = self._glitches.get((platform, glitch_key(handle)))
        return 0 if glitch is None else glitch.left

    def __call__(self, platform: str, handle: str, at: datetime) -> Counters:
        """The counters of ``handle`` at ``at``, glitched if a glitch is pending for it."""
        counts = counters_for(platform, handle, at)
        key = (platform, glitch_key(handle))
        if key in self._hostile:
            return replace(counts, followers=hostile_marker(self._hostile[key]))
        glitch = self._glitches.get(key)
        if glitch is None:
            return counts
        if glitch.left is not None:
            glitch.left -= 1
            if glitch.left == 0:
                del self._glitches[key]
        followers = 0 if glitch.kind == "zero" else int(counts.followers * glitch.factor)
        return replace(counts, followers=followers)
