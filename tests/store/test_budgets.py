"""The shared windows: grants within the budget, freed by the injected clock, header figures."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.daemon.ledger import DatabaseLedger, budget_id
from bot.store import budgets

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
KEY = "github||"
HOUR = 3600.0


def test_a_window_never_grants_more_than_its_budget(engine: Engine) -> None:
    ledger = DatabaseLedger(engine)
    first = ledger.take(KEY, 5, HOUR, want=3, least=1, now=T0)
    assert first.granted == 3
    assert ledger.take(KEY, 5, HOUR, want=3, least=1, now=T0).granted == 2
    # Nothing left and no time passed: nothing granted, even for one.
    assert ledger.take(KEY, 5, HOUR, want=1, least=1, now=T0).granted == 0


def test_least_is_all_or_nothing(engine: Engine) -> None:
    ledger = DatabaseLedger(engine)
    assert ledger.take(KEY, 5, HOUR, want=4, least=4, now=T0).granted == 4
    refused = ledger.take(KEY, 5, HOUR, want=2, least=2, now=T0)
    assert refused.granted == 0 and sum(n for _, n in refused.log) == 4  # the one stays free


def test_requests_leave_the_window_one_window_after_their_grant(engine: Engine) -> None:
    ledger = DatabaseLedger(engine)
    assert ledger.take(KEY, 10, HOUR, want=6, least=6, now=T0).granted == 6
    half = T0 + timedelta(minutes=30)
    assert ledger.take(KEY, 10, HOUR, want=10, least=1, now=half).granted == 4
    # Sliding, not fixed: just before T0 + 1 h nothing has left; at T0 + 1 h the first six have.
    assert ledger.take(KEY, 10, HOUR, want=1, least=1, now=T0 + timedelta(minutes=59)).granted == 0
    assert ledger.take(KEY, 10, HOUR, want=10, least=1, now=T0 + timedelta(hours=1)).granted == 6
    with engine.connect() as connection:
        log = budgets.window(connection, KEY)
    assert log is not None and sum(n for _, n in log) == 10  # older entries are dropped


def test_a_clock_behind_the_rows_frees_nothing(engine: Engine) -> None:
    ledger = DatabaseLedger(engine)
    ledger.take(KEY, 4, 60.0, want=4, least=4, now=T0)
    assert ledger.take(KEY, 4, 60.0, want=1, least=1, now=T0 - timedelta(hours=1)).granted == 0
    assert ledger.take(KEY, 4, 60.0, want=4, least=1, now=T0 + timedelta(seconds=60)).granted == 4


def test_header_figures_lower_what_is_granted_until_their_reset(engine: Engine) -> None:
    ledger = DatabaseLedger(engine)
    ledger.take(KEY, 50, HOUR, want=1, least=1, now=T0)
    reset = T0 + timedelta(minutes=10)
    ledger.lower(KEY, 3, reset, T0)
    grant = ledger.take(KEY, 50, HOUR, want=10, least=1, now=T0 + timedelta(seconds=1))
    assert grant.granted == 3 and grant.header_left == 0 and grant.header_reset == reset
    before = reset - timedelta(seconds=1)
    assert ledger.take(KEY, 50, HOUR, want=1, least=1, now=before).granted == 0
    # A larger figure for the same window does not raise it.
    ledger.lower(KEY, 5, reset, T0)
    assert ledger.take(KEY, 50, HOUR, want=1, least=1, now=T0 + timedelta(seconds=2)).granted == 0
    # At the reset the header figure no longer holds: the window alone decides (50 - 4 left).
    assert ledger.take(KEY, 50, HOUR, want=100, least=1, now=reset).granted == 46


def test_requests_given_back_leave_the_window_and_the_header_figure(engine: Engine) -> None:
    ledger = DatabaseLedger(engine)
    grant = ledger.take(KEY, 6, HOUR, want=6, least=6, now=T0)
    ledger.settle(KEY, [(grant.at, 4)], [], HOUR, T0)
    assert ledger.take(KEY, 6, HOUR, want=6, least=1, now=T0).granted == 4
    # Only what was granted at that instant can go back: never below zero, never more.
    ledger.settle(KEY, [(grant.at, 100), (grant.at + 1, 5)], [], HOUR, T0)
    assert ledger.take(KEY, 6, HOUR, want=100, least=1, now=T0).granted == 6


def test_budgets_are_kept_apart_by_platform_instance_and_credential(engine: Engine) -> None:
    keys = {
        budget_id("github", "", None),
        budget_id("github", "", "token-a"),
        budget_id("github", "", "token-b"),
        budget_id("mastodon", "a.social", None),
        budget_id("mastodon", "b.social", None),
    }
    assert len(keys) == 5
    assert not any("token-a" in key for key in keys)  # a fingerprint, never the secret
    ledger = DatabaseLedger(engine)
    for key in keys:
        assert ledger.take(key, 2, HOUR, want=5, least=1, now=T0).granted == 2


@pytest.mark.postgres
def test_workers_in_threads_together_never_get_more_than_the_budget(pg_engine: Engine) -> None:
    """Eight threads, each its own ledger and connections, race for one row at a fixed instant."""
    budget = 200
    granted: list[int] = []
    start = threading.Barrier(8)
    lock = threading.Lock()

    def worker() -> None:
        ledger = DatabaseLedger(pg_engine)
        mine = 0
        start.wait()
        for step in range(60):
            mine += ledger.take(KEY, budget, HOUR, want=1 + step % 4, least=1, now=T0).granted
        with lock:
            granted.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(granted) == 8
    # 8 x 60 asks for up to 4 requests each want far more than 200: exactly the budget.
    assert sum(granted) == budget
    assert sum(1 for mine in granted if mine > 0) >= 2
