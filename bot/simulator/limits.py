"""Fixed rate-limit windows on the injected clock, and the base of every simulated platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from aiohttp import web

from bot.clock import Clock
from bot.simulator.glitches import CounterSource

WINDOW_SECONDS = 300
DEFAULT_AUTH_ERROR: dict[str, Any] = {"error": "invalid token"}


@dataclass(frozen=True)
class WindowHit:
    """One request's view of its window: clock time, requests so far (this one included), budget."""

    now: datetime
    used: int
    limit: int = 0
    reset: datetime | None = None

    @property
    def over(self) -> bool:
        """True when this request went past the window's budget."""
        return self.used > self.limit


class RateWindow:
    """Counts requests per fixed window of the injected clock, aligned to epoch multiples."""

    def __init__(self, clock: Clock, seconds: int = WINDOW_SECONDS, limit: int = 300) -> None:
        self._clock = clock
        self.seconds = seconds
        self.limit = limit
        self._index = -1
        self._used = 0

    def index(self, now: datetime) -> int:
        """The number of the window holding ``now``."""
        return int(now.timestamp()) // self.seconds

    def end(self, now: datetime) -> datetime:
        """When the window holding ``now`` ends (the next one starts)."""
        return datetime.fromtimestamp((self.index(now) + 1) * self.seconds, UTC)

    def hit(self) -> WindowHit:
        """Record one request and return the window state after it."""
        now = self._clock()
        index = self.index(now)
        if index != self._index:
            self._index, self._used = index, 0
        self._used += 1
        return WindowHit(now=now, used=self._used, limit=self.limit, reset=self.end(now))


class PlatformSim:
    """Base of a simulated platform: budget window, counters source and its own error shapes.

    Subclasses set ``name`` (the key of ``Simulator.rejected``), ``counter_platforms`` (the
    names they pass to the counters source, which ``Simulator.glitch`` accepts), their routes,
    headers and bodies. The simulator replaces ``counters`` with its shared source.
    """

    name: ClassVar[str] = ""
    counter_platforms: ClassVar[tuple[str, ...]] = ()
    # Status and body of the platform's answer past its budget (no Retry-After header).
    throttled_status: ClassVar[int] = 429
    # Status the platform really uses for its auth error body (the "auth" fault).
    auth_error_status: ClassVar[int] = 401

    def __init__(self, clock: Clock, window: RateWindow) -> None:
        self._clock = clock
        self.window = window
        self.counters = CounterSource()
        self.rate_limited_body: dict[str, Any] = {"error": "Too many requests"}
        self.auth_error_body: dict[str, Any] = dict(DEFAULT_AUTH_ERROR)

    def remember(self, handle: str) -> None:
        """Know ``handle``'s id before anyone asks for it by handle (a restarted simulator).

        Ids are derived from handles, but a lookup by id needs the handle back; platforms that
        look accounts up by id override this.
        """

    @property
    def limit(self) -> int:
        """Requests allowed per window (the unauthenticated budget where it differs)."""
        return self.window.limit

    @property
    def window_seconds(self) -> int:
        """Length of the budget window in seconds."""
        return self.window.seconds

    @property
    def throttled_body(self) -> dict[str, Any]:
        """The body of the platform's own over-budget answer."""
        return self.rate_limited_body

    def routes(self) -> list[web.RouteDef]:
        """The platform's aiohttp routes."""
        raise NotImplementedError

    def window_for(self, request: web.Request) -> RateWindow:
        """The budget window ``request`` counts against."""
        return self.window

    def rate_headers(self, hit: WindowHit, *, exhausted: bool = False) -> dict[str, str]:
        """The platform's rate-limit headers for one response (none by default)."""
        return {}

    def throttled(self, hit: WindowHit) -> web.Response:
        """The platform's own answer past its budget: only its reset headers say when."""
        headers = self.rate_headers(hit, exhausted=True)
        return web.json_response(self.throttled_body, status=self.throttled_status, headers=headers)
