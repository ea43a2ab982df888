"""The daemon while its database is unreachable: bounded backoff, one line per try, re-migrate.

A database outage is not a bug: the daemon logs one line per attempt (no traceback), waits
longer after each failure (2 s doubling to 5 min), and when the database answers again it
checks and applies migrations before polling (it may have been restored from an old backup).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot.clock import Clock
from bot.store.db import is_outage, migrate, ping

log = logging.getLogger(__name__)
FIRST_WAIT = timedelta(seconds=2)
MAX_WAIT = timedelta(minutes=5)


@dataclass
class DatabaseWatch:
    """Runs database work unless an outage says wait; tracks attempts and the next try."""

    engine: Engine
    clock: Clock
    failures: int = 0
    retry_at: datetime | None = None

    @property
    def down(self) -> bool:
        """True while the last attempt found the database unreachable."""
        return self.failures > 0

    async def run(self, work: Callable[[], Awaitable[object]]) -> bool:
        """Run ``work`` if no backoff holds it; False when skipped or the database is down."""
        if self.retry_at is not None and self.clock() < self.retry_at:
            return False
        try:
            if self.down:
                # Back from an outage: the schema may be older than this code expects.
                ping(self.engine)
                migrate(self.engine)
            await work()
        except Exception as exc:
            if not is_outage(exc):
                raise
            self._failed(exc)
            return False
        if self.down:
            log.info("database reachable again after %d failed attempts", self.failures)
        self.failures, self.retry_at = 0, None
        return True

    def _failed(self, exc: BaseException) -> None:
        """Count one failed attempt, say so in one line, and set when to try next."""
        self.failures += 1
        wait = min(MAX_WAIT, FIRST_WAIT * 2 ** min(self.failures - 1, 16))
        self.retry_at = self.clock() + wait
        log.error(
            "database unreachable (attempt %d, %s: %s); next try in %.0fs",
            self.failures,
            type(exc).__name__,
            _reason(exc),
            wait.total_seconds(),
        )


def _reason(exc: BaseException) -> str:
    """The driver's first line, short: what failed, never the statement or its parameters."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip().splitlines()
    return text[0][:160] if text else type(inner).__name__
