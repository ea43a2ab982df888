"""One request budget for many workers: a worker's side of a token bucket kept elsewhere.

The bucket lives behind a ``Ledger`` (the database on PostgreSQL, bot/daemon/ledger.py); this
module only decides how much to ask for and keeps what was granted. Its size follows from the
documented budget of ``requests`` per ``per_seconds``: a burst of ``capacity`` tokens plus a
refill of ``rate`` a second, with ``capacity + rate * per_seconds == requests``, so no window of
the platform's length, fixed or sliding and however aligned, sees more grants than the budget.

A worker leases tokens ahead while batches keep asking (1, 2, 4, ... up to the capacity: few
round trips for a cycle of many batches) and gives back what it did not spend as soon as no
batch of its own is open. Nothing here sleeps; the ledger does the I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

# The burst: this share of the budget may go at once; the rest comes as a steady refill.
BURST_SHARE = 0.05


@dataclass(frozen=True)
class Grant:
    """The ledger's answer: tokens granted, and the bucket's state right after."""

    granted: int
    tokens: float
    rate: float
    header_left: int | None = None
    header_reset: datetime | None = None


class Ledger(Protocol):
    """Where the workers' shared buckets live; every call is atomic on its own."""

    def take(
        self, key: str, capacity: int, rate: float, want: int, least: int, now: datetime
    ) -> Grant:
        """Grant up to ``want`` tokens, or none unless at least ``least`` are there."""
        ...

    def give_back(self, key: str, count: int, now: datetime) -> None:
        """Return ``count`` granted tokens that were never spent."""
        ...

    def lower(self, key: str, left: int, reset: datetime, now: datetime) -> None:
        """The platform says only ``left`` requests remain until ``reset``."""
        ...


def bucket_of(requests: int, per_seconds: float) -> tuple[int, float]:
    """The bucket of a budget: (capacity, refill per second), within the budget in any window."""
    capacity = max(1, min(requests, round(requests * BURST_SHARE)))
    rate = (requests - capacity) / per_seconds if requests > capacity else 0.0
    if rate == 0.0:
        # A budget of one request: the bucket holds it and refills it once per window.
        rate = requests / per_seconds
        capacity = 1
    return capacity, rate


class SharedBudget:
    """One worker's part of a shared bucket: tokens granted to it and held by its batches."""

    def __init__(self, ledger: Ledger, key: str, requests: int, per_seconds: float) -> None:
        self.ledger = ledger
        self.key = key
        self.capacity, self.rate = bucket_of(requests, per_seconds)
        self.pool = 0  # granted to this worker, not spent yet
        self.reserved = 0  # the part of the pool that open tickets hold
        self.open = 0  # tickets admitted and not yet closed
        self._lease = 1
        self._seen: Grant | None = None
        self._seen_at: datetime | None = None

    def free(self) -> int:
        """Granted tokens no ticket holds."""
        return self.pool - self.reserved

    def _take(self, want: int, least: int, now: datetime) -> None:
        """Ask the ledger; what it grants joins the pool."""
        grant = self.ledger.take(self.key, self.capacity, self.rate, want, least, now)
        self.pool += grant.granted
        self._seen, self._seen_at = grant, now
        if grant.granted:
            # Batches keep coming: ask for more next time, up to one burst.
            self._lease = min(self._lease * 2, self.capacity)

    def reserve(self, cost: int, now: datetime) -> bool:
        """Hold ``cost`` tokens (at most one burst) for a batch, asking the ledger if need be."""
        cost = min(cost, self.capacity)
        missing = cost - self.free()
        if missing > 0:
            self._take(max(missing, self._lease), missing, now)
        if self.free() < cost:
            if self.open == 0:
                self.settle(now)
            return False
        self.reserved += cost
        self.open += 1
        return True

    def close(self, unspent: int, now: datetime) -> None:
        """A batch ended with ``unspent`` of its tokens; the last one gives back the pool."""
        self.reserved = max(0, self.reserved - unspent)
        self.open = max(0, self.open - 1)
        if self.open == 0:
            self.settle(now)

    def settle(self, now: datetime) -> None:
        """Give back every granted token no batch holds, and start leasing small again."""
        spare = self.free()
        if spare > 0:
            self.ledger.give_back(self.key, spare, now)
            self.pool -= spare
        self._lease = 1

    def spend(self, now: datetime, *, ticketed: bool) -> bool:
        """Use one token for a request about to start: the ticket's, the pool's or a new one."""
        if ticketed:
            self.reserved = max(0, self.reserved - 1)
        elif self.free() <= 0:
            self._take(1, 1, now)
            if self.free() <= 0:
                return False
        self.pool = max(0, self.pool - 1)
        return True

    def ready_at(self, cost: int, now: datetime) -> datetime:
        """When ``cost`` tokens could be there, from the bucket as last seen."""
        need = min(cost, self.capacity) - self.free()
        if need <= 0 or self._seen is None or self._seen_at is None:
            return now
        seen = self._seen
        if (
            seen.header_left is not None
            and seen.header_reset is not None
            and seen.header_left < need
            and seen.header_reset > now
        ):
            return seen.header_reset
        refill = seen.rate * max(0.0, (now - self._seen_at).total_seconds())
        missing = need - min(float(self.capacity), seen.tokens + refill)
        if missing <= 0 or seen.rate <= 0:
            return now
        return now + timedelta(seconds=missing / seen.rate)

    def correct(self, left: int, reset: datetime, now: datetime) -> None:
        """Pass on a header figure that says less than the bucket could still grant till reset."""
        seconds = max(0.0, (reset - now).total_seconds())
        # Beyond one burst: the bucket's own arithmetic allows for one.
        if left == 0 or left < math.floor(self.rate * seconds):
            self.ledger.lower(self.key, left, reset, now)
            self._seen = None
