"""The workers' shared request budgets, kept in the database (bot/store/budgets.py).

On PostgreSQL every worker (each ``bot run``, and ``bot poll``) draws from the same window per
platform, per instance (Mastodon) and per credential, so N workers together stay inside what
the platform allows. On SQLite one daemon owns the file (a lock), so its gates keep their own
sliding windows and no ledger is used.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import Engine

from bot.http.shared import Grant
from bot.store import budgets


def budget_id(platform: str, key: str, token: str | None) -> str:
    """The row of one budget: platform, budget key, and a fingerprint of the credential."""
    # Workers with another token have another budget; the token itself is never stored.
    if not token:
        return f"{platform}|{key}|"
    fingerprint = hashlib.sha256(b"rate-budget\0" + token.encode()).hexdigest()[:16]
    return f"{platform}|{key}|{fingerprint}"


def _epoch(when: datetime) -> float:
    """Seconds since the epoch of an instant from the injected clock."""
    return when.timestamp()


class DatabaseLedger:
    """Shared windows in the rate_budget table; each call is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def take(
        self, key: str, requests: int, per_seconds: float, want: int, least: int, now: datetime
    ) -> Grant:
        """Grant up to ``want`` requests, or none unless at least ``least`` fit now."""
        with self.engine.begin() as connection:
            row = budgets.take(
                connection,
                key,
                requests=requests,
                per_seconds=per_seconds,
                want=want,
                least=least,
                now=_epoch(now),
            )
        reset = (
            datetime.fromtimestamp(row.header_reset, UTC) if row.header_reset is not None else None
        )
        return Grant(row.granted, row.at, row.log, row.header_left, reset)

    def settle(
        self,
        key: str,
        returned: list[tuple[float, int]],
        moved: list[tuple[float, float, int]],
        per_seconds: float,
        now: datetime,
    ) -> None:
        """Unlog unspent grants; log spent ones at their start instead of their grant."""
        with self.engine.begin() as connection:
            budgets.settle(
                connection,
                key,
                returned=returned,
                moved=moved,
                per_seconds=per_seconds,
                now=_epoch(now),
            )

    def lower(self, key: str, left: int, reset: datetime, now: datetime) -> None:
        """The platform says only ``left`` requests remain until ``reset``."""
        with self.engine.begin() as connection:
            budgets.lower(connection, key, left=left, reset=_epoch(reset), now=_epoch(now))


def ledger_for(engine: Engine) -> DatabaseLedger | None:
    """The shared ledger on PostgreSQL; None on SQLite (one daemon per file)."""
    return DatabaseLedger(engine) if engine.dialect.name == "postgresql" else None
