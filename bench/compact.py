"""``bot compact --keep-raw 90d --vacuum`` on SQLite and PostgreSQL: rows removed, bytes, time.

The history: ACCOUNTS accounts polled POLLS times a day for DAYS days (Europe/Paris), ending
now. Printed per database: the rows stored and removed, bytes per snapshot before and after
(the database's own size functions), the time of the compaction alone and with VACUUM, and a
second run (which must remove nothing). Usage: ``bench/compact.py [ACCOUNTS [DAYS [POLLS]]]``.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from _common import databases
from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.kinds import Quality, Source
from bot.query.compact import compact
from bot.store.accounts import get_or_create
from bot.store.writes import insert_snapshots

SETTINGS = Settings(timezone=ZoneInfo("Europe/Paris"))
KEEP = timedelta(days=90)


def fill(engine: Engine, accounts: int, days: int, polls: int, now: datetime) -> int:
    """Write the history in batches of 1,000 rows; how many rows."""
    step = timedelta(days=1) / polls
    with Session(engine) as session:
        ids = [
            get_or_create(session, "bluesky", f"acct{a}.bsky.social", now).id or 0
            for a in range(accounts)
        ]
        session.commit()
    rows: list[dict[str, object]] = []
    total = 0
    with engine.begin() as connection:
        for n, account_id in enumerate(ids):
            for i in range(days * polls):
                rows.append(
                    {
                        "account_id": account_id,
                        "captured_at": now - (i + n % 7) * step,
                        "followers": 100_000 + n - i,
                        "following": n,
                        "posts": 5_000 - i // polls,
                        "extra": None,
                        "precision": 1,
                        "source": Source.IMPORT,
                        "quality": Quality.SUSPECT if i % 500 == 7 else Quality.OK,
                    }
                )
                if len(rows) == 1000:
                    insert_snapshots(connection, rows)  # type: ignore[arg-type]
                    total, rows = total + len(rows), []
        insert_snapshots(connection, rows)  # type: ignore[arg-type]
    return total + len(rows)


def main() -> None:
    """Print the figures for both databases."""
    accounts = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 365
    polls = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    now = datetime.now(UTC).replace(microsecond=0)
    print(f"history: {accounts} accounts x {days} days x {polls} polls a day, keep raw 90 days")
    with databases() as engines:
        for name, engine in engines:
            started = time.perf_counter()
            rows = fill(engine, accounts, days, polls, now)
            print(f"{name:10} wrote {rows:,} rows in {time.perf_counter() - started:.1f} s")
            done = compact(engine, SETTINGS, keep=KEEP, now=now)
            with_vacuum = compact(engine, SETTINGS, keep=KEEP, now=now, vacuum=True)
            facts, after = done.document(), with_vacuum.document()
            print(
                f"{name:10} removed {done.removed:,} of {done.snapshots:,} rows"
                f" ({done.removed / done.snapshots:.0%}) in {done.seconds:.1f} s,"
                f" {done.chunks} transactions"
            )
            mib = (done.bytes_before / 2**20, with_vacuum.bytes_after / 2**20)
            print(
                f"{name:10} bytes/snapshot: {facts['bytes_per_snapshot_before']} before,"
                f" {facts['bytes_per_snapshot_after']} after the deletes,"
                f" {after['bytes_per_snapshot_after']} after VACUUM"
                f" ({mib[0]:,.1f} -> {mib[1]:,.1f} MiB); second run removed"
                f" {with_vacuum.removed}, with VACUUM {with_vacuum.seconds:.1f} s"
            )


if __name__ == "__main__":
    main()
