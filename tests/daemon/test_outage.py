"""Issue 10: a database outage backs off with one line per attempt and re-migrates on return."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text

from bot.clock import ManualClock
from bot.daemon.outage import MAX_WAIT, DatabaseWatch

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)


class Switch:
    """A SQLite file that can be made unreachable, as a stopped database server is."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.down = True

    def connect(self) -> sqlite3.Connection:
        if self.down:
            raise sqlite3.OperationalError("unable to open database file")
        return sqlite3.connect(self.path)


def outage_engine(tmp_path: Path) -> tuple[Engine, Switch]:
    switch = Switch(tmp_path / "bot.db")
    return create_engine("sqlite://", creator=switch.connect), switch


def test_an_outage_backs_off_with_one_line_per_attempt_then_migrates(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine, switch = outage_engine(tmp_path)
    clock = ManualClock(T0)
    watch = DatabaseWatch(engine, clock)
    ran: list[int] = []

    async def work() -> None:
        with engine.connect() as connection:
            ran.append(connection.execute(text("SELECT count(*) FROM account")).scalar_one())

    def tick(seconds: float) -> bool:
        clock.advance(timedelta(seconds=seconds))
        return asyncio.run(watch.run(work))

    caplog.set_level(logging.INFO, logger="bot.daemon.outage")
    waits = []
    assert tick(0) is False
    for _ in range(12):
        # Ticks every 2 s: most are skipped by the backoff, each attempt logs one line.
        wait = (watch.retry_at or T0) - clock()
        waits.append(wait)
        assert tick(1) is False
        if clock() < (watch.retry_at or T0):
            clock.advance(wait)
            assert tick(0) is False
    lines = [r for r in caplog.records if "database unreachable" in r.getMessage()]
    assert len(lines) == watch.failures
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in lines)
    assert "unable to open database file" in lines[0].getMessage()
    # Bounded exponential: 2 s, 4 s, 8 s ... never more than five minutes.
    gaps = [w for w in waits if w > timedelta(0)]
    assert gaps[0] == timedelta(seconds=2) and gaps[1] == timedelta(seconds=4)
    assert max(gaps) == MAX_WAIT
    assert ran == []

    switch.down = False
    clock.advance(MAX_WAIT)
    assert asyncio.run(watch.run(work)) is True
    # The file was never migrated: the watch applied the migrations before the work ran.
    assert "account" in inspect(engine).get_table_names()
    assert ran == [0]
    assert watch.failures == 0
    assert any("reachable again" in r.getMessage() for r in caplog.records)


def test_errors_that_are_not_an_outage_are_not_hidden(tmp_path: Path) -> None:
    engine, switch = outage_engine(tmp_path)
    switch.down = False
    watch = DatabaseWatch(engine, ManualClock(T0))

    async def broken() -> None:
        raise ZeroDivisionError("a bug")

    with pytest.raises(ZeroDivisionError):
        asyncio.run(watch.run(broken))
    assert watch.failures == 0
