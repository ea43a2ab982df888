"""The shared token buckets: grants within the budget, refills by the injected clock, headers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.daemon.ledger import DatabaseLedger, budget_id
from bot.http.shared import bucket_of
from bot.store import budgets

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
KEY = "github||"


def test_a_new_bucket_starts_full_and_never_grants_more_than_it_holds(engine: Engine) -> None:
    ledger = DatabaseLedger(engine)
    first = ledger.take(KEY, 5, 1.0, want=3, least=1, now=T0)
    assert first.granted == 3 and first.tokens == pytest.approx(2.0)
    second = ledger.take(KEY, 5, 1.0, want=3, least=1, now=T0)
    assert second.granted == 2 and second.tokens == pytest.approx(0.0)
    # Nothing left and no time passed: nothing granted, even for one.
    assert ledger.take(KEY, 5, 1.0, want=1, least=1, now=T0).granted == 0


def test_least_is_all_or_nothing(engine: Engine) -> None:
    ledger = DatabaseLedger(engine)
    assert ledger.take(KEY, 5, 1.0, want=4, least=4, now=T0).granted == 4
    refused = ledger.take(KEY, 5, 1.0, want=2, least=2, now=T0)
    assert refused.granted == 0 and refused.tokens == pytest.approx(1.0)  # the token stays


def test_refills_by_the_injected_clock_up_to_the_capacity(engine: Engine) -> None:
    ledger = DatabaseLedger(engine)
    ledger.take(KEY, 10, 2.0, want=10, least=10, now=T0)
    assert ledger.take(KEY, 10, 2.0, want=10, least=1, now=T0 + timedelta(seconds=1.5)).granted == 3
    # A day later the bucket is full again, never fuller than its capacity.
    later = ledger.take(KEY, 10, 2.0, want=100, least=1, now=T0 + timedelta(days=1))
    assert later.granted == 10


def test_a_clock_behind_the_rows_refills_nothing_and_moves_nothing_back(engine: Engine) -> None:
    ledger = DatabaseLedger(engine)
    ledger.take(KEY, 4, 1.0, want=4, least=4, now=T0)
    assert ledger.take(KEY, 4, 1.0, want=1, least=1, now=T0 - timedelta(hours=1)).granted == 0
    # The row still refills from T0, not from the earlier instant.
    assert ledger.take(KEY, 4, 1.0, want=4, least=1, now=T0 + timedelta(seconds=2)).granted == 2


def test_header_corrections_lower_what_is_granted_until_their_reset(engine: Engine) -> None:
    ledger = DatabaseLedger(engine)
    ledger.take(KEY, 50, 1.0, want=1, least=1, now=T0)
    reset = T0 + timedelta(minutes=10)
    ledger.lower(KEY, 3, reset, T0)
    grant = ledger.take(KEY, 50, 1.0, want=10, least=1, now=T0 + timedelta(seconds=1))
    assert grant.granted == 3 and grant.header_left == 0 and grant.header_reset == reset
    assert ledger.take(KEY, 50, 1.0, want=1, least=1, now=reset - timedelta(seconds=1)).granted == 0
    # A smaller figure lowers it further; a larger one for the same window does not raise it.
    ledger.lower(KEY, 5, reset, T0)
    assert ledger.take(KEY, 50, 1.0, want=1, least=1, now=T0 + timedelta(seconds=2)).granted == 0
    # At the reset the header figure no longer holds: the bucket alone decides.
    assert ledger.take(KEY, 50, 1.0, want=10, least=1, now=reset).granted == 10


def test_tokens_given_back_return_to_the_bucket_and_the_header_figure(engine: Engine) -> None:
    ledger = DatabaseLedger(engine)
    ledger.take(KEY, 6, 0.001, want=6, least=6, now=T0)
    ledger.give_back(KEY, 4, T0)
    assert ledger.take(KEY, 6, 0.001, want=6, least=1, now=T0).granted == 4
    ledger.give_back(KEY, 100, T0)  # never above the capacity
    assert ledger.take(KEY, 6, 0.001, want=100, least=1, now=T0).granted == 6


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
        assert ledger.take(key, 2, 0.001, want=5, least=1, now=T0).granted == 2
    with engine.connect() as connection:
        assert all(budgets.bucket(connection, key) is not None for key in keys)


@pytest.mark.parametrize(("requests", "per_seconds"), [(1, 60), (2, 1), (30, 1), (60, 3600)])
def test_a_bucket_never_grants_more_than_its_budget_in_any_window(
    requests: int, per_seconds: float
) -> None:
    capacity, rate = bucket_of(requests, per_seconds)
    if requests > 1:
        assert capacity + rate * per_seconds == pytest.approx(requests)
    assert capacity >= 1 and rate > 0


@pytest.mark.postgres
def test_workers_in_threads_together_never_get_more_than_the_bucket(pg_engine: Engine) -> None:
    """Eight threads, each its own ledger and connections, race for one row at a fixed instant."""
    capacity, rate = 200, 1.0
    DatabaseLedger(pg_engine).take(KEY, capacity, rate, want=0, least=0, now=T0)
    granted: list[int] = []
    start = threading.Barrier(8)
    lock = threading.Lock()

    def worker() -> None:
        ledger = DatabaseLedger(pg_engine)
        mine = 0
        start.wait()
        for step in range(60):
            mine += ledger.take(KEY, capacity, rate, want=1 + step % 4, least=1, now=T0).granted
        with lock:
            granted.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(granted) == 8
    # 8 x 60 asks for up to 4 tokens each want far more than 200: exactly the bucket is granted.
    assert sum(granted) == capacity
    assert sum(1 for mine in granted if mine > 0) >= 2
