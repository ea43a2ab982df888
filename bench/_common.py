"""Shared set-up for the benchmarks: a SQLite file and a PostgreSQL schema, both migrated."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from bot.store.db import make_engine, migrate

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def databases() -> Iterator[list[tuple[str, Engine]]]:
    """Yield [("sqlite", engine), ("postgresql", engine)], cleaned up afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with tempfile.TemporaryDirectory() as tmp, admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        sqlite = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        postgres = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
        for engine in (sqlite, postgres):
            migrate(engine)
        try:
            yield [("sqlite", sqlite), ("postgresql", postgres)]
        finally:
            sqlite.dispose()
            postgres.dispose()
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def median_seconds(action: Callable[[], object], runs: int = 5) -> float:
    """The median wall time of ``runs`` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
