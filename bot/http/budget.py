"""Per-platform request gates: a sliding-window budget, header corrections, 429 pauses, a breaker.

A gate lives as long as the daemon, one per platform, on the injected clock. The poller asks it
before starting a batch (``admit``); the adapter's request path tells it about every request
(``spend``) and every answer (``observe``). Nothing here sleeps. With a ``SharedBudget``
(several workers on PostgreSQL, bot/http/shared.py) the budget is drawn from a window all workers
share instead of this worker's own window; pauses and the breaker stay the gate's.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.http.headers import MAX_WAIT_SECONDS, remaining_in_window, retry_after_seconds
from bot.http.shared import SharedBudget
from bot.kinds import GateState

# Without a usable Retry-After or reset header, a 429 pauses the platform this long.
DEFAULT_PAUSE = timedelta(seconds=60)
# Consecutive failed requests (after retries) that open the breaker, and its cooldowns.
BREAKER_THRESHOLD = 5
BREAKER_COOLDOWN = timedelta(seconds=60)
BREAKER_MAX_COOLDOWN = timedelta(minutes=30)


@dataclass(frozen=True)
class RateBudget:
    """A documented request budget: ``requests`` per ``per_seconds``."""

    requests: int
    per_seconds: float


@dataclass
class Ticket:
    """Requests reserved for one batch; ``spend`` draws on the ticket of the running task."""

    gate: PlatformGate
    left: int


# Each asyncio task polls one batch, so the ticket in its context is that batch's reservation.
_TICKET: ContextVar[Ticket | None] = ContextVar("gate_ticket", default=None)


def current_gate() -> PlatformGate | None:
    """The gate of the batch this task is polling, if any."""
    ticket = _TICKET.get()
    return ticket.gate if ticket is not None else None


_SEVERITY = {GateState.OK: 0, GateState.RATE_LIMITED: 1, GateState.CIRCUIT_OPEN: 2}


def merge_views(views: list[GateView]) -> GateView:
    """One platform's view from its gates (one per Mastodon instance): the worst state wins."""
    worst = max(views, key=lambda v: (_SEVERITY.get(v.state, 0), v.until or datetime.min))
    successes = [v.last_success_at for v in views if v.last_success_at is not None]
    failures = [v for v in views if v.last_failure_at is not None]
    last_failure = max(failures, key=lambda v: v.last_failure_at or datetime.min, default=None)
    return GateView(
        worst.state,
        worst.until,
        max(v.consecutive_failures for v in views),
        sum(v.requests for v in views),
        sum(v.rate_limited for v in views),
        max(successes, default=None),
        last_failure.last_failure_at if last_failure else None,
        last_failure.last_error if last_failure else None,
    )


@dataclass(frozen=True)
class GateView:
    """A gate's state for ``bot status`` and the metrics: ok, rate_limited or circuit_open."""

    state: GateState
    until: datetime | None
    consecutive_failures: int
    requests: int
    rate_limited: int
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_error: str | None


class PlatformGate:
    """One platform's budget and health on the injected clock."""

    def __init__(
        self,
        platform: str,
        budget: RateBudget,
        clock: Clock,
        shared: SharedBudget | None = None,
    ) -> None:
        self.platform = platform
        self.budget = budget
        self.clock = clock
        self.shared = shared
        self._window = timedelta(seconds=budget.per_seconds)
        # Request times in the current sliding window: never more than budget.requests of them,
        # so no window of the platform's length (fixed or sliding) can see more.
        self._sent: deque[datetime] = deque()
        self._reserved = 0
        # What the platform's own headers said: requests left until an instant.
        self._header_left: int | None = None
        self._header_reset: datetime | None = None
        self.paused_until: datetime | None = None
        self.failures = 0
        self._cooldown = BREAKER_COOLDOWN
        self.open_until: datetime | None = None
        self._probing = False
        self.requests = 0
        self.rate_limited_count = 0
        self.last_success_at: datetime | None = None
        self.last_failure_at: datetime | None = None
        self.last_error: str | None = None

    # Budget ------------------------------------------------------------------------------

    def _expire(self, now: datetime) -> None:
        """Forget requests older than the window and header figures past their reset."""
        while self._sent and self._sent[0] <= now - self._window:
            self._sent.popleft()
        if self._header_reset is not None and now >= self._header_reset:
            self._header_left, self._header_reset = None, None

    def available(self) -> int:
        """Requests that may start now without exceeding any known budget."""
        now = self.clock()
        self._expire(now)
        left = self.budget.requests - len(self._sent)
        if self._header_left is not None:
            left = min(left, self._header_left)
        return max(0, left - self._reserved)

    def ready_at(self, cost: int = 1) -> datetime:
        """The earliest instant at which ``cost`` requests could start (pauses included)."""
        now = self.clock()
        self._expire(now)
        blocked = [t for t in (self.paused_until, self.open_until) if t is not None and t > now]
        if blocked:
            return max(blocked)
        if self.shared is not None:
            return self.shared.ready_at(cost, now)
        if self.available() >= min(cost, self.budget.requests):
            return now
        if self._header_left is not None and self._header_left <= self._reserved:
            return self._header_reset or now + self._window
        needed = min(cost, self.budget.requests) + self._reserved
        excess = len(self._sent) + needed - self.budget.requests
        if excess <= 0:
            return now
        if excess > len(self._sent):
            # Reserved requests not sent yet will leave the window about one window from now.
            return now + self._window
        return self._sent[excess - 1] + self._window

    def admit(self, cost: int) -> Ticket | None:
        """Reserve ``cost`` requests for a batch if the platform is usable and they fit now."""
        if self.blocked():
            return None
        probe = self.open_until is not None
        if probe and self._probing:
            # Half-open: one probe batch at a time decides whether the breaker closes.
            return None
        # A batch dearer than the whole budget still runs alone on a full budget.
        cost = min(cost, self.budget.requests)
        if self.shared is not None:
            if not self.shared.reserve(cost, self.clock()):
                return None
        elif self.available() < cost:
            return None
        self._probing = self._probing or probe
        self._reserved += cost
        return Ticket(self, cost)

    @contextmanager
    def using(self, ticket: Ticket) -> Iterator[Ticket]:
        """Spend from ``ticket`` inside the block; what is left is given back at its end."""
        token = _TICKET.set(ticket)
        try:
            yield ticket
        finally:
            _TICKET.reset(token)
            self._reserved = max(0, self._reserved - ticket.left)
            if self.shared is not None:
                self.shared.close(ticket.left, self.clock())
            ticket.left = 0

    def spend(self) -> float | None:
        """Record one request about to start; the wait in seconds if it must not start yet."""
        now = self.clock()
        self._expire(now)
        if self.paused_until is not None and now < self.paused_until:
            return (self.paused_until - now).total_seconds()
        ticket = _TICKET.get()
        ticketed = ticket is not None and ticket.gate is self and ticket.left > 0
        if ticket is not None and ticketed:
            ticket.left -= 1
            self._reserved = max(0, self._reserved - 1)
        if self.shared is not None:
            if not self.shared.spend(now, ticketed=ticketed):
                return max(0.001, (self.ready_at(1) - now).total_seconds())
        elif not ticketed and self.available() <= 0:
            return (self.ready_at(1) - now).total_seconds()
        self._sent.append(now)
        if self._header_left is not None:
            self._header_left = max(0, self._header_left - 1)
        self.requests += 1
        return None

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Correct the budget from the answer's rate-limit headers."""
        now = self.clock()
        left = remaining_in_window(headers)
        if left is None:
            return
        reset = _reset_seconds(headers, now)
        self._header_left = left
        self._header_reset = now + timedelta(seconds=reset) if reset is not None else None
        if self.shared is not None:
            self.shared.correct(left, self._header_reset or now + self._window, now)
        if left == 0 and reset is not None and status != 429:
            # The platform says the window is spent: wait for its reset, do not try and fail.
            self.paused_until = max(self.paused_until or now, now + timedelta(seconds=reset))

    def pause(self, retry_after: float | None) -> None:
        """A 429: nothing more for this platform until the platform's reset."""
        now = self.clock()
        wait = DEFAULT_PAUSE
        if retry_after is not None and math.isfinite(retry_after):
            # Whatever the platform said, never longer than a day (a huge value would overflow).
            wait = timedelta(seconds=min(max(retry_after, 0.0), MAX_WAIT_SECONDS))
        self.pause_until(now + wait)
        self.rate_limited_count += 1

    def pause_until(self, until: datetime) -> None:
        """Pause until ``until`` unless already paused longer (another worker saw a 429)."""
        now = self.clock()
        if until > now:
            self.paused_until = max(self.paused_until or now, until)

    def blocked(self) -> bool:
        """True while paused by a 429 or while the breaker is open."""
        now = self.clock()
        if self.paused_until is not None and now >= self.paused_until:
            self.paused_until = None
        if self.paused_until is not None:
            return True
        return self.open_until is not None and now < self.open_until

    # Circuit breaker -----------------------------------------------------------------------

    def succeeded(self) -> None:
        """A request of this platform worked: close the breaker."""
        self.last_success_at = self.clock()
        self.failures = 0
        self.open_until = None
        self._probing = False
        self._cooldown = BREAKER_COOLDOWN

    def failed(self, error: str | None = None) -> None:
        """A request failed for good (after its retries): count toward opening the breaker."""
        now = self.clock()
        self.last_failure_at, self.last_error = now, error
        self.failures += 1
        if self._probing:
            # The probe failed: stay open, and wait longer before the next one.
            self._cooldown = min(self._cooldown * 2, BREAKER_MAX_COOLDOWN)
            self.open_until = now + self._cooldown
            self._probing = False
        elif self.failures >= BREAKER_THRESHOLD and self.open_until is None:
            self.open_until = now + self._cooldown

    def finished_batch(self) -> None:
        """A batch ended without a verdict (e.g. only not-found answers): let a new probe run."""
        self._probing = False

    def view(self) -> GateView:
        """The state to show and persist."""
        now = self.clock()
        if self.paused_until is not None and now < self.paused_until:
            state, until = GateState.RATE_LIMITED, self.paused_until
        elif self.open_until is not None:
            state, until = GateState.CIRCUIT_OPEN, self.open_until
        else:
            state, until = GateState.OK, None
        return GateView(
            state,
            until,
            self.failures,
            self.requests,
            self.rate_limited_count,
            self.last_success_at,
            self.last_failure_at,
            self.last_error,
        )


def _reset_seconds(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds until the window resets, from whichever reset header the platform sends."""
    return retry_after_seconds(
        {k: v for k, v in headers.items() if k.lower() != "retry-after"}, lambda: now
    )
