"""The daemon's hook after a poll cycle: evaluates at most once a minute and never raises."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session

from bot.clock import ManualClock
from bot.config import AccountSettings, Settings
from bot.daemon.runtime import ALERTS_EVERY, Runtime
from bot.store.accounts import sync_accounts
from bot.store.alerts import open_alerts
from bot.store.tables import ACCOUNT

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def test_the_hook_evaluates_at_most_once_a_minute(engine: Engine) -> None:
    settings = Settings(accounts=(AccountSettings("x", "DGSN_MAROC", label="DGSN"),))
    clock = ManualClock(T0)
    with Session(engine) as session:
        sync_accounts(session, settings, T0)
    runtime = Runtime(settings, clock)

    def suspend_and_run() -> int:
        with engine.begin() as connection:
            connection.execute(update(ACCOUNT).values(status="suspended"))
        asyncio.run(runtime.after_cycle(engine))
        with engine.connect() as connection:
            return len(open_alerts(connection))

    assert suspend_and_run() == 1
    with engine.begin() as connection:
        connection.execute(update(ACCOUNT).values(status="active"))
    asyncio.run(runtime.after_cycle(engine))  # within the minute: not evaluated
    with engine.connect() as connection:
        assert len(open_alerts(connection)) == 1
    clock.advance(ALERTS_EVERY)
    asyncio.run(runtime.after_cycle(engine))
    with engine.connect() as connection:
        assert open_alerts(connection) == []


def test_a_failing_evaluation_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    from bot.store.db import make_engine

    broken = make_engine("sqlite://")  # never migrated: every query fails
    settings = Settings(accounts=(AccountSettings("x", "DGSN_MAROC"),))
    runtime = Runtime(settings, ManualClock(T0 + timedelta(hours=1)))
    with caplog.at_level(logging.ERROR):
        asyncio.run(runtime.after_cycle(broken))
    assert "alert evaluation failed" in caplog.messages
