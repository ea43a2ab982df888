"""Snapshots on PostgreSQL: the plain table against monthly partitions, measured side by side.

Two throwaway schemas hold the same history (ACCOUNTS accounts x DAYS daily snapshots, written
server-side with generate_series): one with the table the migrations make, one with ``snapshot``
declared ``PARTITION BY RANGE (captured_at)``, a partition per month (the primary key and the
unique key then include captured_at). Printed: the time to write the history, the time of one
poll cycle's insert (one row per account), table + index size, and the growth and report
queries of bot/store/history.py on each. Usage: ``bench/partitions.py [ACCOUNTS [DAYS]]``.
"""

from __future__ import annotations

import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from functools import partial

from _common import PG_URL, median_seconds
from sqlalchemy import Connection, Engine, create_engine, insert, text

from bot import growth
from bot.store import history
from bot.store.db import make_engine, migrate
from bot.store.tables import SNAPSHOT

START = datetime(2024, 1, 1, tzinfo=UTC)

PARTITIONED = """
DROP TABLE snapshot;
CREATE TABLE snapshot (
    id BIGSERIAL NOT NULL,
    account_id INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    captured_at TIMESTAMP WITH TIME ZONE NOT NULL,
    followers BIGINT, following BIGINT, posts BIGINT, extra JSON,
    precision INTEGER NOT NULL, source VARCHAR(16) NOT NULL, quality VARCHAR(16) NOT NULL,
    PRIMARY KEY (id, captured_at),
    CONSTRAINT uq_snapshot_account_captured UNIQUE (account_id, captured_at)
) PARTITION BY RANGE (captured_at);
"""


def months(first: date, last: date) -> list[date]:
    """The first day of every month from ``first``'s to ``last``'s."""
    found, day = [], first.replace(day=1)
    while day <= last:
        found.append(day)
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return found


def make_schema(admin: Connection, name: str, *, partitioned: bool, days: int) -> Engine:
    """A migrated schema; with ``partitioned``, snapshot made a table of monthly partitions."""
    admin.execute(text(f'CREATE SCHEMA "{name}"'))
    engine = make_engine(f"{PG_URL}?options=-csearch_path%3D{name}")
    migrate(engine)
    if partitioned:
        last = (START + timedelta(days=days + 40)).date()
        with engine.begin() as connection:
            connection.execute(text(PARTITIONED))
            for month in months(START.date(), last):
                after = months(month + timedelta(days=32), month + timedelta(days=32))[0]
                connection.execute(
                    text(
                        f"CREATE TABLE snapshot_{month:%Y_%m} PARTITION OF snapshot"
                        f" FOR VALUES FROM ('{month}') TO ('{after}')"
                    )
                )
    return engine


def fill(engine: Engine, accounts: int, days: int) -> float:
    """Write the accounts and their daily history server-side; seconds taken."""
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO account (id, platform, handle, groups, status, created_at)"
                " SELECT a, 'bluesky', 'acct' || a, '[]', 'active', :start"
                " FROM generate_series(1, :n) a"
            ),
            {"n": accounts, "start": START},
        )
        connection.execute(
            text(
                "INSERT INTO snapshot (account_id, captured_at, followers, following, posts,"
                " precision, source, quality)"
                " SELECT a, :start + d * interval '1 day' + (a % 1440) * interval '1 minute',"
                " 1000 + a * 10 + d, a, d * 3, 1, 'poll', 'ok'"
                " FROM generate_series(1, :n) a, generate_series(0, :days - 1) d"
            ),
            {"n": accounts, "days": days, "start": START},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE snapshot"))
    return time.perf_counter() - started


def cycle_insert(engine: Engine, accounts: int, at: datetime) -> float:
    """One poll cycle's rows (one per account, Core insert of a list): seconds."""
    rows = [
        {
            "account_id": a,
            "captured_at": at,
            "followers": a,
            "following": 0,
            "posts": 0,
            "precision": 1,
            "source": "poll",
            "quality": "ok",
        }
        for a in range(1, accounts + 1)
    ]
    started = time.perf_counter()
    with engine.begin() as connection:
        for start in range(0, len(rows), 1000):
            connection.execute(insert(SNAPSHOT), rows[start : start + 1000])
    return time.perf_counter() - started


def size(engine: Engine, partitioned: bool) -> tuple[int, int]:
    """(table bytes, index bytes) of snapshot, every partition included."""
    tables = (
        "SELECT inhrelid FROM pg_inherits WHERE inhparent = 'snapshot'::regclass"
        if partitioned
        else "SELECT 'snapshot'::regclass"
    )
    with engine.connect() as connection:
        row = connection.execute(
            text(
                f"SELECT sum(pg_table_size(t)), sum(pg_indexes_size(t)) FROM ({tables}) AS parts(t)"
            )
        ).one()
    return int(row[0]), int(row[1])


def queries(name: str, engine: Engine, accounts: int, days: int) -> None:
    """Time the growth seeks for each period and the report's endpoints."""
    ids = list(range(1, accounts + 1))
    at = START + timedelta(days=days - 1, hours=23)
    for period in ("1d", "7d", "30d", "365d"):
        target = at - growth.PERIODS[period]
        with engine.connect() as connection:
            query = partial(
                history.growth_candidates,
                connection,
                ids,
                at=at,
                target=target,
                tol=growth.tolerance(period),
            )
            seconds = median_seconds(query, runs=3)
        print(f"{name:12} growth {period:>4}, {accounts} accounts: {seconds * 1000:,.0f} ms")
    first, last = START + timedelta(days=days - 366), at
    with engine.connect() as connection:
        query = partial(history.range_endpoints, connection, ids, first=first, last=last)
        seconds = median_seconds(query, runs=3)
    print(f"{name:12} report endpoints, {accounts} accounts: {seconds * 1000:,.0f} ms")


def layout_figures(admin: Connection, layout: str, schema: str, accounts: int, days: int) -> None:
    """Build one layout in its own schema, print its figures, drop it."""
    engine = make_schema(admin, schema, partitioned=layout == "monthly", days=days)
    try:
        seconds = fill(engine, accounts, days)
        rate = accounts * days / seconds
        print(f"{layout:12} write history: {seconds:.1f} s ({rate:,.0f} rows/s)")
        at = START + timedelta(days=days, hours=1)
        minutes = iter(range(1000))
        cycle = median_seconds(
            lambda: cycle_insert(engine, accounts, at + timedelta(minutes=next(minutes))), runs=3
        )
        print(f"{layout:12} one cycle's insert ({accounts} rows): {cycle * 1000:,.0f} ms")
        table, index = size(engine, layout == "monthly")
        per = (table + index) / (accounts * days)
        print(
            f"{layout:12} size: table {table / 2**20:,.0f} MiB,"
            f" indexes {index / 2**20:,.0f} MiB, {per:.0f} bytes/snapshot"
        )
        queries(layout, engine, accounts, days)
    finally:
        engine.dispose()
        admin.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def main() -> None:
    """Print the figures for both layouts."""
    accounts = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 3 * 365
    print(f"history: {accounts} accounts x {days} days = {accounts * days:,} rows")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    tag = uuid.uuid4().hex[:8]
    with admin.connect() as connection:
        for layout in ("plain", "monthly"):
            layout_figures(connection, layout, f"bench_{layout}_{tag}", accounts, days)


if __name__ == "__main__":
    main()
