"""PostgreSQL: what checking each snapshot's account costs a bulk COPY, by how it is checked.

Three throwaway schemas, each made by the migrations: the declared foreign key (revision 0007),
the per-statement triggers that replace it (head, migration 0008), and no check at all (head with
the triggers dropped: the floor, never used). Into each, ACCOUNTS x DAYS snapshot rows go by
binary COPY in batches of 10,000 in one transaction, as ``bot import`` sends them
(bot/store/pgcopy.py), RUNS times in turn. Printed per run: wall seconds and PostgreSQL's CPU.
Usage: ``bench/snapshot_key.py [ACCOUNTS [DAYS [RUNS]]]``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from _processes import machine, postgres_url, server_cpu
from alembic import command
from sqlalchemy import Engine, insert

from bot.kinds import AccountStatus
from bot.store.db import alembic_config, make_engine
from bot.store.pgcopy import encode
from bot.store.tables import ACCOUNT

START = datetime(2025, 1, 1, tzinfo=UTC)
BATCH = 10_000
COLUMNS = "account_id, captured_at, followers, following, posts, precision, source, quality"
NO_CHECK = """
DROP TRIGGER snapshot_account_inserted ON snapshot;
DROP TRIGGER snapshot_account_moved ON snapshot;
"""


@contextmanager
def schema(revision: str, *, checked: bool = True) -> Iterator[Engine]:
    """A throwaway schema migrated to ``revision``; without ``checked``, the triggers dropped."""
    with postgres_url() as url:
        engine = make_engine(url)
        try:
            config = alembic_config()
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if not checked:
                    connection.exec_driver_sql(NO_CHECK)
            yield engine
        finally:
            engine.dispose()


def blocks(accounts: list[int], days: int) -> list[bytes]:
    """The rows as COPY streams of ``BATCH`` rows, account by account as a history file has them."""
    rows = [
        (account, START + timedelta(days=d), 1000 + d, 10, d, 1, "import", "ok")
        for account in accounts
        for d in range(days)
    ]
    return [encode(rows[i : i + BATCH]) for i in range(0, len(rows), BATCH)]


def add_accounts(engine: Engine, count: int) -> list[int]:
    """``count`` accounts, their ids."""
    rows: list[dict[str, Any]] = [
        {
            "platform": "bluesky",
            "handle": f"a{n}.bsky.social",
            "groups": [],
            "status": AccountStatus.ACTIVE,
            "created_at": START,
        }
        for n in range(count)
    ]
    with engine.begin() as connection:
        return list(connection.execute(insert(ACCOUNT).returning(ACCOUNT.c.id), rows).scalars())


def copy_all(engine: Engine, streams: list[bytes]) -> tuple[float, float | None]:
    """COPY every stream in one transaction: wall seconds, PostgreSQL's CPU seconds."""
    with engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE snapshot")
    cpu, start = server_cpu(), time.perf_counter()
    with engine.begin() as connection:
        driver: Any = connection.connection.driver_connection
        with driver.cursor() as cursor:
            for stream in streams:
                with cursor.copy(f"COPY snapshot ({COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.write(stream)
    seconds, after = time.perf_counter() - start, server_cpu()
    return seconds, (after - cpu if cpu is not None and after is not None else None)


def main() -> None:
    """Print the figures."""
    given = [int(arg) for arg in sys.argv[1:4]]
    accounts, days, runs = given + [1000, 365, 3][len(given) :]
    print(f"# bench/snapshot_key.py {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    rows = accounts * days
    print(f"{accounts} accounts x {days} days = {rows:,} rows, COPY in batches of {BATCH:,}")
    labels = ["declared key (0007)", "statement triggers (head)", "no check (floor)"]
    with schema("0007") as key, schema("head") as triggers, schema("head", checked=False) as bare:
        engines = [key, triggers, bare]
        streams = [blocks(add_accounts(engine, accounts), days) for engine in engines]
        for run in range(runs):
            for label, engine, stream in zip(labels, engines, streams, strict=True):
                seconds, cpu = copy_all(engine, stream)
                used = f"{cpu:.2f} s" if cpu is not None else "not readable"
                print(f"run {run + 1}  {label:26} {seconds:5.2f} s, PostgreSQL CPU {used}")


if __name__ == "__main__":
    main()
