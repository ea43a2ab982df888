"""Query time at scale: growth, report, digest and the accounts listing on both databases.

Three histories, each built by a few INSERT … SELECT statements inside the database:
10,000 accounts x 365 daily snapshots (3.65M rows), 100,000 accounts x 2 snapshots, and 2,000
accounts polled every hour for 40 days (1.9M rows: the digest only). The
history is varied like a real one: gaps, suspect points, a few removed accounts, groups. Each
figure is the median of 5 in-process calls of the function the command calls (the accounts are
already stored: no TOML sync); the 100k history also times whole ``python -m bot`` processes
(median of 3, CSV output) with a config that declares no accounts.

    .venv/bin/python bench/queries.py                  # both histories, both databases
    .venv/bin/python bench/queries.py --only sqlite --year-accounts 2000
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

from _common import databases, median_seconds
from sqlalchemy import Engine, insert, text

from bot import growth
from bot.config import Settings
from bot.digest.build import build_digest
from bot.query import rows as views
from bot.store import history
from bot.store.tables import ACCOUNT

START = datetime(2025, 1, 1, 12, tzinfo=UTC)
PLATFORMS = ("bluesky", "mastodon", "x", "youtube", "github")
ROOT = Path(__file__).resolve().parent.parent
RUNS = [5]  # --runs
# The machine is shared: CPU time of this process says what wall time under load cannot.
LAST_CPU: list[float | None] = [None]


def add_accounts(engine: Engine, count: int) -> None:
    """``count`` imported accounts: groups on most, one in a hundred removed."""
    rows = [
        {
            "platform": PLATFORMS[i % len(PLATFORMS)],
            "handle": f"acct{i}.example",
            "label": f"Account {i}" if i % 3 == 0 else None,
            "groups": [] if i % 4 == 0 else [f"g{i % 10}", *(["news"] if i % 7 == 0 else [])],
            "status": "removed" if i % 100 == 99 else "active",
            "created_at": START - timedelta(days=400),
        }
        for i in range(count)
    ]
    with engine.begin() as connection:
        for start in range(0, count, 5000):
            connection.execute(insert(ACCOUNT), rows[start : start + 5000])


def _numbers(engine: Engine, count: int) -> str:
    """A SELECT of the integers 0 to ``count - 1`` as column ``d``, in the engine's SQL."""
    if engine.dialect.name == "postgresql":
        return f"SELECT generate_series(0, {count - 1}) AS d"
    step = f"SELECT d + 1 FROM s WHERE d < {count - 1}"
    return f"WITH RECURSIVE s(d) AS (SELECT 0 UNION ALL {step}) SELECT d FROM s"


def add_snapshots(engine: Engine, days: int, step_days: int) -> None:
    """One snapshot a day (every ``step_days``) per account, with gaps and suspect points."""
    numbers = _numbers(engine, days)
    if engine.dialect.name == "postgresql":
        moment = "timestamptz '2025-01-01 12:00+00' + make_interval(days => n.d * :step)"
        moment += " + make_interval(mins => a.id % 60)"
    else:
        moment = (
            "datetime('2025-01-01 12:00:00', '+' || (n.d * :step) || ' days',"
            " '+' || (a.id % 60) || ' minutes') || '.000000'"
        )
    statement = f"""
        INSERT INTO snapshot (account_id, captured_at, followers, following, posts, precision,
                              source, quality)
        SELECT a.id, {moment},
               CASE WHEN (a.id * 31 + n.d) % 211 = 0 THEN 3
                    ELSE 1000 + a.id * 10 + n.d * (a.id % 7) END,
               a.id % 500, n.d * 3 + a.id % 11,
               CASE WHEN a.platform = 'youtube' THEN 100 ELSE 1 END,
               'poll',
               CASE WHEN (a.id * 31 + n.d) % 211 = 0 THEN 'suspect' ELSE 'ok' END
        FROM account a CROSS JOIN ({numbers}) n
        WHERE (a.id + n.d) % 53 <> 0 OR n.d = {days - 1}
    """
    attempts = """
        INSERT INTO poll_attempt (account_id, started_at, duration_ms, outcome, message)
        SELECT id, :at, 12, CASE WHEN id % 40 = 0 THEN 'error' ELSE 'ok' END,
               CASE WHEN id % 40 = 0 THEN 'HTTP 503' ELSE NULL END
        FROM account
    """
    last = START + timedelta(days=(days - 1) * step_days)
    with engine.begin() as connection:
        connection.execute(text(statement), {"step": step_days})
        connection.execute(text(attempts), {"at": last})
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


def add_hourly(engine: Engine, days: int) -> None:
    """One snapshot an hour per account for ``days`` days ending on 2026-01-03, a few suspect."""
    hours = days * 24
    numbers = _numbers(engine, hours)
    if engine.dialect.name == "postgresql":
        moment = "timestamptz '2025-11-25 00:00+00' + make_interval(hours => n.d)"
        moment += " + make_interval(mins => a.id % 60)"
    else:
        moment = (
            "datetime('2025-11-25 00:00:00', '+' || n.d || ' hours',"
            " '+' || (a.id % 60) || ' minutes') || '.000000'"
        )
    statement = f"""
        INSERT INTO snapshot (account_id, captured_at, followers, following, posts, precision,
                              source, quality)
        SELECT a.id, {moment}, 1000 + a.id * 10 + n.d * (a.id % 7), a.id % 500,
               n.d + a.id % 11, 1, 'poll',
               CASE WHEN (a.id * 31 + n.d) % 211 = 0 THEN 'suspect' ELSE 'ok' END
        FROM account a CROSS JOIN ({numbers}) n
    """
    with engine.begin() as connection:
        connection.execute(text(statement))
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


def hourly_figures(db: str, engine: Engine, accounts: int) -> None:
    """The digest over accounts polled every hour: what grows with how often they are polled."""
    day = date(2026, 1, 3)
    show(db, f"digest build, hourly ({accounts} x 24 x 40)", _median(partial(_digest, engine, day)))


def build(engine: Engine, accounts: int, days: int, step_days: int) -> float:
    """Fill the database; the seconds it took."""
    began = time.perf_counter()
    add_accounts(engine, accounts)
    add_snapshots(engine, days, step_days)
    return time.perf_counter() - began


def show(db: str, what: str, seconds: float) -> None:
    """One raw figure: median wall time, and the median CPU time of this process when known."""
    cpu = f"  (cpu {LAST_CPU[0] * 1000:,.0f} ms)" if LAST_CPU[0] is not None else ""
    print(f"{db:10} {what:44} {seconds * 1000:9,.0f} ms{cpu}", flush=True)
    LAST_CPU[0] = None


def year_figures(db: str, engine: Engine, settings: Settings, accounts: int) -> None:
    """Growth per period, --at, the report, the digest and the listing over a year of history."""
    end = START + timedelta(days=364, hours=1)
    for period in growth.PERIOD_NAMES:
        call = partial(views.growth_rows, engine, settings, period=period, at=end, group=None)
        show(db, f"growth {period} ({accounts} x 365)", _median(call))
    at = START + timedelta(days=200)
    call = partial(views.growth_rows, engine, settings, period="30d", at=at, group=None)
    show(db, f"growth 30d --at mid-year ({accounts} x 365)", _median(call))
    call = partial(views.growth_rows, engine, settings, period="7d", at=end, group="g3")
    show(db, f"growth 7d --group g3 ({accounts} x 365)", _median(call))
    target = growth.period_target("365d", end, settings.timezone)
    columns = [ACCOUNT.c.platform, ACCOUNT.c.handle, ACCOUNT.c.label]

    def query() -> object:  # the statement `bot growth` runs, its rows fetched
        with engine.connect() as connection:
            return history.growth_listing(
                connection, columns, at=end, target=target, tol=growth.tolerance("365d")
            )

    show(db, f"growth query 365d only ({accounts} x 365)", _median(query))
    first, last = growth.year_bounds(2025, settings.timezone)
    call = partial(views.report_entries, engine, first=first, last=last, tz=settings.timezone)
    show(db, f"report 2025 ({accounts} x 365)", _median(call))
    day = date(2025, 12, 30)
    show(db, f"digest build ({accounts} x 365)", _median(partial(_digest, engine, day)))
    show(db, f"accounts listing ({accounts} x 365)", _median(partial(_listing, engine)))


def _median(call: Callable[[], object]) -> float:
    """Median wall time of RUNS calls; their median CPU time is kept for ``show``."""
    cpu: list[float] = []

    def timed() -> None:
        began = time.process_time()
        call()
        cpu.append(time.process_time() - began)

    wall = median_seconds(timed, runs=RUNS[0])
    LAST_CPU[0] = statistics.median(cpu)
    return wall


def _digest(engine: Engine, day: date) -> object:
    return build_digest(engine, Settings(), day)


def _listing(engine: Engine) -> object:
    return views.account_rows(engine)


def pair_figures(db: str, engine: Engine, settings: Settings, accounts: int, url: str) -> None:
    """Growth 1d and the listing over two snapshots per account, in process and whole."""
    end = START + timedelta(days=1, hours=1)
    call = partial(views.growth_rows, engine, settings, period="1d", at=end, group=None)
    show(db, f"growth 1d ({accounts} x 2)", _median(call))
    show(db, f"accounts listing ({accounts} x 2)", _median(partial(_listing, engine)))
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "bot.toml"
        config.write_text('[bot]\ntimezone = "UTC"\n')
        # CSV: a table of 100,000 rows is rich's layout work (about 60 s), not the query's.
        for words in (["growth", "--period", "1d", "--at", "2025-01-02"], ["accounts"]):
            command = [sys.executable, "-m", "bot", *words, "-f", "csv", "--config", str(config)]
            seconds = median_seconds(partial(_process, command, url, tmp), runs=3)
            show(db, f"process: bot {' '.join(words[:3])} ({accounts} x 2)", seconds)


def _process(command: list[str], url: str, cwd: str) -> None:
    environment = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    subprocess.run(command, cwd=cwd, env=environment, check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--year-accounts", type=int, default=10_000)
    parser.add_argument("--pair-accounts", type=int, default=100_000)
    parser.add_argument("--hourly-accounts", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=5, help="calls per in-process figure")
    args = parser.parse_args()
    RUNS[0] = args.runs
    settings = Settings()
    for accounts, days, step in ((args.year_accounts, 365, 1), (args.pair_accounts, 2, 1)):
        if not accounts:
            continue
        with databases() as engines:
            for db, engine in engines:
                if args.only and db != args.only:
                    continue
                seconds = build(engine, accounts, days, step)
                print(f"{db:10} built {accounts} accounts x {days} days in {seconds:.1f} s")
                if days == 2:
                    url = engine.url.render_as_string(hide_password=False)
                    pair_figures(db, engine, settings, accounts, url)
                else:
                    year_figures(db, engine, settings, accounts)
    if args.hourly_accounts:
        with databases() as engines:
            for db, engine in engines:
                if args.only and db != args.only:
                    continue
                began = time.perf_counter()
                add_accounts(engine, args.hourly_accounts)
                add_hourly(engine, 40)
                seconds = time.perf_counter() - began
                print(f"{db:10} built {args.hourly_accounts} accounts x 24 x 40 in {seconds:.1f} s")
                hourly_figures(db, engine, args.hourly_accounts)


if __name__ == "__main__":
    main()
