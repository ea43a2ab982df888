"""One request budget for many workers: a worker's side of a sliding window kept elsewhere.

The window lives behind a ``Ledger`` (the database on PostgreSQL, bot/daemon/ledger.py): it logs
every grant and allows one while the last window's grants stay within the budget, as each
worker's own gate does. This module only decides how much to ask for and keeps what was granted.
A worker leases requests ahead while batches keep asking (1, 2, 4, ... up to a tenth of the
budget: few round trips for a cycle of many batches). As soon as no batch of its own is open it
settles: gives back what it did not spend, and moves what started later than granted to the
instant it started (the platform counts a request from its start, so must the window). Nothing
here sleeps; the ledger does the I/O.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

# A worker never holds more than this share of a budget ahead of its batches.
MAX_LEASE_SHARE = 0.1


@dataclass(frozen=True)
class Grant:
    """The ledger's answer: requests granted at ``at``, and the window as it stands after."""

    granted: int
    at: float
    log: list[tuple[float, int]]
    header_left: int | None = None
    header_reset: datetime | None = None


class Ledger(Protocol):
    """Where the workers' shared windows live; every call is atomic on its own."""

    def take(
        self, key: str, requests: int, per_seconds: float, want: int, least: int, now: datetime
    ) -> Grant:
        """Grant up to ``want`` requests, or none unless at least ``least`` fit now."""
        ...

    def settle(
        self,
        key: str,
        returned: list[tuple[float, int]],
        moved: list[tuple[float, float, int]],
        per_seconds: float,
        now: datetime,
    ) -> None:
        """Unlog unspent grants ``(instant, n)``; move spent ones ``(grant, start, n)``."""
        ...

    def lower(self, key: str, left: int, reset: datetime, now: datetime) -> None:
        """The platform says only ``left`` requests remain until ``reset``."""
        ...


class SharedBudget:
    """One worker's part of a shared window: requests granted to it and held by its batches."""

    def __init__(self, ledger: Ledger, key: str, requests: int, per_seconds: float) -> None:
        self.ledger = ledger
        self.key = key
        self.requests = requests
        self.per_seconds = per_seconds
        self.held: deque[list[float]] = deque()  # [instant, count] granted, not spent yet
        self.reserved = 0  # the part of what is held that open tickets hold
        self.open = 0  # tickets admitted and not yet closed
        # Requests started later than granted: (grant instant, start instant) -> how many.
        self.moved: dict[tuple[float, float], int] = {}
        self._lease = 1
        self._max_lease = max(1, int(requests * MAX_LEASE_SHARE))
        self._seen: Grant | None = None

    @property
    def pool(self) -> int:
        """Granted requests not spent yet."""
        return int(sum(count for _, count in self.held))

    def free(self) -> int:
        """Granted requests no ticket holds."""
        return self.pool - self.reserved

    def _take(self, want: int, least: int, now: datetime) -> None:
        """Ask the ledger; what it grants is held."""
        grant = self.ledger.take(self.key, self.requests, self.per_seconds, want, least, now)
        self._seen = grant
        if grant.granted:
            self.held.append([grant.at, grant.granted])
            # Batches keep coming: ask for more next time, up to the lease's ceiling.
            self._lease = min(self._lease * 2, self._max_lease)

    def reserve(self, cost: int, now: datetime) -> bool:
        """Hold ``cost`` requests for a batch, asking the ledger if need be."""
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
        """A batch ended with ``unspent`` of its requests; the last one gives back the rest."""
        self.reserved = max(0, self.reserved - unspent)
        self.open = max(0, self.open - 1)
        if self.open == 0:
            self.settle(now)

    def settle(self, now: datetime) -> None:
        """Give back what no batch holds, log late starts at their instant, lease small again."""
        spare = self.free()
        returned: list[tuple[float, int]] = []
        # The newest grants go back first: the oldest leave the window first if kept.
        while spare > 0 and self.held:
            at, count = self.held[-1]
            back = min(int(count), spare)
            returned.append((at, back))
            spare -= back
            if back == count:
                self.held.pop()
            else:
                self.held[-1][1] = count - back
        moved = [(at, started, n) for (at, started), n in self.moved.items()]
        if returned or moved:
            self.ledger.settle(self.key, returned, moved, self.per_seconds, now)
        self.moved.clear()
        self._lease = 1

    def spend(self, now: datetime, *, ticketed: bool) -> bool:
        """Use one request about to start: the ticket's, one held, or a new grant."""
        if ticketed:
            self.reserved = max(0, self.reserved - 1)
        elif self.free() <= 0:
            self._take(1, 1, now)
            if self.free() <= 0:
                return False
        if self.held:
            at = self.held[0][0]
            started = now.timestamp()
            if started > at:
                # Logged at its grant, this request would leave the window too early.
                self.moved[(at, started)] = self.moved.get((at, started), 0) + 1
            self.held[0][1] -= 1
            if self.held[0][1] <= 0:
                self.held.popleft()
        return True

    def ready_at(self, cost: int, now: datetime) -> datetime:
        """When ``cost`` requests could fit, from the window as last seen."""
        need = min(cost, self.requests) - self.free()
        seen = self._seen
        if need <= 0 or seen is None:
            return now
        if (
            seen.header_left is not None
            and seen.header_reset is not None
            and seen.header_left < need
            and seen.header_reset > now
        ):
            return seen.header_reset
        start = now.timestamp() - self.per_seconds
        log = [(t, n) for t, n in seen.log if t > start]
        excess = sum(n for _, n in log) + need - self.requests
        for at, count in log:
            if excess <= 0:
                break
            excess -= count
            if excess <= 0:
                # Enough of the window's requests leave it when this grant does.
                return datetime.fromtimestamp(at + self.per_seconds, UTC)
        return now if excess <= 0 else now + timedelta(seconds=self.per_seconds)

    def correct(self, left: int, reset: datetime, now: datetime) -> None:
        """Pass on a header figure that says fewer requests remain than the window allows."""
        seen = self._seen
        if seen is None:
            used = 0
        else:
            start = now.timestamp() - self.per_seconds
            used = sum(n for t, n in seen.log if t > start)
        if left < self.requests - used:
            self.ledger.lower(self.key, left, reset, now)
            self._seen = None
