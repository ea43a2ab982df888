"""Import throughput (rows/s) and growth/report query time over a year of history."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from _common import databases, median_seconds
from _processes import machine, server_cpu
from sqlalchemy import Engine
from sqlmodel import Session

from bot import growth
from bot.config import Settings
from bot.io.load import import_history
from bot.query import rows as views
from bot.store import history
from bot.store.accounts import all_accounts

ACCOUNTS = 1000
DAYS = 365
START = datetime(2025, 1, 1, tzinfo=UTC)


def write_history(path: Path) -> int:
    """A CSV of ACCOUNTS Bluesky accounts with one snapshot a day for DAYS days."""
    with path.open("w") as out:
        out.write("platform,handle,captured_at,followers,following,posts\n")
        for a in range(ACCOUNTS):
            for d in range(DAYS):
                day = (START + timedelta(days=d)).strftime("%Y-%m-%dT%H:%M:%SZ")
                out.write(f"bluesky,acct{a}.bsky.social,{day},{1000 + a * 10 + d},{a},{d * 3}\n")
    return ACCOUNTS * DAYS


def measure(name: str, engine: Engine, settings: Settings, csv_path: Path, rows: int) -> None:
    """Import the file once, then time the growth and report queries."""
    run_import = partial(import_history, engine, settings, csv_path, datetime.now(UTC))
    cpu, server = time.process_time(), server_cpu()
    elapsed = median_seconds(run_import, runs=1)
    # This process, then PostgreSQL's (on 2 cores the two together bound the rate).
    cpu = time.process_time() - cpu
    after, used = server_cpu(), ""
    if name == "postgresql" and server is not None and after is not None:
        used = f"; {after - server:.2f} s CPU in PostgreSQL"
    elif name == "postgresql":
        used = "; PostgreSQL's CPU not readable here"
    rate = rows / elapsed
    print(
        f"{name:10} import (parse, validate, insert): {rate:,.0f} rows/s ({elapsed:.2f} s;"
        f" {cpu:.2f} s CPU here, {rows / cpu:,.0f} rows per CPU second{used})"
    )
    at = START + timedelta(days=DAYS - 1, hours=1)
    with Session(engine) as session:
        ids = [a.id for a in all_accounts(session) if a.id]
    for period in ("1d", "7d", "30d", "365d"):
        target = growth.period_target(period, at, settings.timezone)
        with engine.connect() as connection:
            query = partial(
                history.growth_candidates,
                connection,
                ids,
                at=at,
                target=target,
                tol=growth.tolerance(period),
            )
            seconds = median_seconds(query)
        print(f"{name:10} growth {period:>4}, {len(ids)} accounts: {seconds * 1000:,.0f} ms")
    first, last = growth.year_bounds(2025, settings.timezone)
    seconds = median_seconds(partial(views.report, engine, settings, first=first, last=last))
    print(f"{name:10} annual report, {len(ids)} accounts: {seconds * 1000:,.0f} ms")


def main() -> None:
    """Print the figures."""
    print(f"# bench/ingest_and_query.py {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp, databases() as engines:
        csv_path = Path(tmp) / "history.csv"
        rows = write_history(csv_path)
        print(f"history: {ACCOUNTS} accounts x {DAYS} days = {rows:,} rows")
        for name, engine in engines:
            measure(name, engine, settings, csv_path, rows)


if __name__ == "__main__":
    main()
