"""``bot compact``: thin out old snapshots by the rule of bot/retention.py, account by account.

Accounts are compacted in chunks, each chunk in its own transaction: a chunk is removed
entirely or not at all, and an interrupted run leaves every account either compacted or as it
was. The rule is idempotent, so running the command again finishes the job (resumable).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from bot import retention
from bot.config import Settings
from bot.output.text import Spelling
from bot.store import compaction as store
from bot.store.history import first_captured_at

# Accounts per transaction: their old history is read into memory at once (3 years of hourly
# polls is about 26,000 rows an account).
ACCOUNTS_PER_CHUNK = 50
# The digests the daemon may still send (yesterday's, last week's, last month's, whose charts
# reach 30 days further back) must read the same snapshots after a compaction as before it.
MIN_KEEP_DAYS = 62
MAX_KEEP_DAYS = 36_500
_DAYS = re.compile(r"^\s*(\d{1,6})\s*d\s*$", re.IGNORECASE)


def keep_raw(text: str, spell: Spelling) -> timedelta:
    """``--keep-raw``: a number of days like ``90d``, at least ``MIN_KEEP_DAYS``."""
    match = _DAYS.match(text)
    days = int(match.group(1)) if match else None
    if days is None or not MIN_KEEP_DAYS <= days <= MAX_KEEP_DAYS:
        raise spell.error(
            "keep-raw",
            f"expected days from {MIN_KEEP_DAYS}d to {MAX_KEEP_DAYS}d like 90d"
            f" (last month's digest reads {MIN_KEEP_DAYS} days of raw points), got {text!r}",
        )
    return timedelta(days=days)


@dataclass(frozen=True)
class Compaction:
    """What one run did (or, with ``dry_run``, would do)."""

    cutoff: datetime  # every snapshot from this instant on is kept
    dry_run: bool
    snapshots: int  # stored before the run
    removed: int
    bytes_before: int
    bytes_after: int
    seconds: float
    chunks: int  # transactions committed
    vacuumed: bool

    def document(self) -> dict[str, Any]:
        """The JSON of ``bot compact --format json``."""
        kept = self.snapshots - self.removed
        return {
            "cutoff": self.cutoff,
            "dry_run": self.dry_run,
            "snapshots_before": self.snapshots,
            "removed": self.removed,
            "snapshots_after": kept,
            "bytes_before": self.bytes_before,
            "bytes_after": self.bytes_after,
            "bytes_per_snapshot_before": _per(self.bytes_before, self.snapshots),
            "bytes_per_snapshot_after": _per(self.bytes_after, kept),
            "seconds": round(self.seconds, 3),
            "transactions": self.chunks,
            "vacuumed": self.vacuumed,
        }


def _per(size: int, rows: int) -> float | None:
    """Bytes per snapshot, one decimal; None without snapshots."""
    return round(size / rows, 1) if rows else None


def compact(
    engine: Engine,
    settings: Settings,
    *,
    keep: timedelta,
    now: datetime,
    dry_run: bool = False,
    vacuum: bool = False,
) -> Compaction:
    """Remove the snapshots older than ``keep`` that no figure reads; what was (would be) done."""
    started = time.perf_counter()
    cutoff = retention.cut(now, keep, settings.timezone)
    with engine.connect() as connection:
        snapshots, before = store.count(connection), store.size_bytes(connection)
        first = first_captured_at(connection)
        ids = store.account_ids(connection)
    removed = chunks = 0
    if first is not None and first < cutoff:
        marks = retention.anchors(first, cutoff, settings.timezone)
        for start in range(0, len(ids), ACCOUNTS_PER_CHUNK):
            chunk = ids[start : start + ACCOUNTS_PER_CHUNK]
            removed += _chunk(engine, chunk, cutoff, marks, dry_run=dry_run)
            chunks += 0 if dry_run else 1
    if vacuum and not dry_run:
        store.vacuum(engine)
    with engine.connect() as connection:
        after = before if dry_run else store.size_bytes(connection)
    return Compaction(
        cutoff=cutoff,
        dry_run=dry_run,
        snapshots=snapshots,
        removed=removed,
        bytes_before=before,
        bytes_after=after,
        seconds=time.perf_counter() - started,
        chunks=chunks,
        vacuumed=vacuum and not dry_run,
    )


def _chunk(
    engine: Engine,
    ids: list[int],
    cutoff: datetime,
    marks: list[datetime],
    *,
    dry_run: bool,
) -> int:
    """Compact one chunk of accounts in one transaction; how many snapshots went (would go)."""
    with engine.begin() as connection:
        points = store.points_before(connection, ids, cutoff)
        named = store.referenced(connection, ids, cutoff)
        doomed = [
            snapshot_id
            for account_id, rows in points.items()
            for snapshot_id in retention.removable(
                rows, marks, named.get(account_id, frozenset())
            )
        ]
        if dry_run:
            return len(doomed)
        return store.remove(connection, doomed)
