"""Fixed rate-limit windows on the injected clock, and what a simulated platform provides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from aiohttp import web

from bot.clock import Clock

WINDOW_SECONDS = 300


@dataclass(frozen=True)
class WindowHit:
    """One request's view of its window: the clock time and requests so far, this one included."""

    now: datetime
    used: int


class RateWindow:
    """Counts requests per 5-minute window of the injected clock, aligned to epoch multiples."""

    def __init__(self, clock: Clock, seconds: int = WINDOW_SECONDS) -> None:
        self._clock = clock
        self.seconds = seconds
        self._index = -1
        self._used = 0

    def hit(self) -> WindowHit:
        """Record one request and return the window state after it."""
        now = self._clock()
        index = int(now.timestamp()) // self.seconds
        if index != self._index:
            self._index, self._used = index, 0
        self._used += 1
        return WindowHit(now=now, used=self._used)


class PlatformSim(Protocol):
    """What the app needs from a simulated platform besides its routes."""

    window: RateWindow
    rate_limited_body: dict[str, Any]

    def routes(self) -> list[web.RouteDef]:
        """The platform's aiohttp routes."""
        ...

    def rate_headers(self, hit: WindowHit, *, exhausted: bool = False) -> dict[str, str]:
        """The platform's rate-limit headers for one response."""
        ...
