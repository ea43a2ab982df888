"""Several workers' gates drawing from one budget in the database; SQLite keeps its own gates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.clock import ManualClock
from bot.config import AccountSettings, PlatformSettings, Secret, Settings
from bot.daemon.ledger import DatabaseLedger
from bot.daemon.runtime import Runtime
from bot.http.budget import PlatformGate, RateBudget
from bot.http.shared import Grant, SharedBudget

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
BUDGET = RateBudget(60, 3600)  # GitHub without a token: 60 an hour


def settings(token: str | None = None) -> Settings:
    return Settings(
        accounts=(AccountSettings("github", "octocat"),),
        platforms={
            "github": PlatformSettings(
                "github", None, token=Secret(token) if token else None, rate_limit=BUDGET
            )
        },
    )


def worker(engine: Engine, clock: ManualClock, name: str, token: str | None = None) -> Runtime:
    return Runtime(settings(token), clock, worker=name, ledger=DatabaseLedger(engine))


def drain(gate: PlatformGate, most: int = 1000) -> int:
    """Admit one-request batches and spend them until the gate refuses; how many ran."""
    ran = 0
    while ran < most and (ticket := gate.admit(1)) is not None:
        with gate.using(ticket):
            assert gate.spend() is None
        ran += 1
    return ran


def test_three_workers_together_get_one_budget_not_three(pg_engine: Engine) -> None:
    clock = ManualClock(T0)
    gates = [worker(pg_engine, clock, f"w{i}").gate("github") for i in range(3)]
    # Three hours in one-minute steps, each worker asking for two requests a minute (twice what
    # the three may share): never more than the budget in any hour (sliding), all of it each hour.
    per_minute: list[int] = []
    for _ in range(180):
        per_minute.append(sum(drain(gate, most=2) for gate in gates))
        clock.advance(timedelta(minutes=1))
    assert all(sum(per_minute[i : i + 60]) <= BUDGET.requests for i in range(len(per_minute)))
    assert sum(per_minute) == 3 * BUDGET.requests
    assert all(g.requests > 0 for g in gates)
    assert sum(g.requests for g in gates) == sum(per_minute)


def test_a_cycle_leases_requests_ahead_and_gives_back_the_unspent(pg_engine: Engine) -> None:
    clock = ManualClock(T0)
    calls: list[tuple[str, int]] = []

    class Counting(DatabaseLedger):
        def take(
            self, key: str, requests: int, per_seconds: float, want: int, least: int, now: datetime
        ) -> Grant:
            calls.append(("take", want))
            return super().take(key, requests, per_seconds, want, least, now)

        def settle(
            self,
            key: str,
            returned: list[tuple[float, int]],
            moved: list[tuple[float, float, int]],
            per_seconds: float,
            now: datetime,
        ) -> None:
            calls.append(("give_back", sum(n for _, n in returned)))
            super().settle(key, returned, moved, per_seconds, now)

    shared = SharedBudget(Counting(pg_engine), "x||", 300, 900)
    gate = PlatformGate("x", RateBudget(300, 900), clock, shared)
    tickets = [gate.admit(1) for _ in range(9)]  # a cycle admits its batches, then runs them
    assert all(t is not None for t in tickets)
    assert [want for kind, want in calls if kind == "take"] == [1, 2, 4, 8]  # 4 trips, not 9
    for ticket in tickets[:5]:
        assert ticket is not None
        with gate.using(ticket):
            assert gate.spend() is None
    assert not any(kind == "give_back" for kind, _ in calls)  # open batches keep the lease
    for ticket in tickets[5:]:
        assert ticket is not None
        with gate.using(ticket):
            pass  # e.g. stopped before its request
    # 15 granted, 5 spent: the last batch to close gives the other 10 back for other workers.
    assert calls[-1] == ("give_back", 10)
    other = DatabaseLedger(pg_engine).take("x||", 300, 900, want=1000, least=1, now=T0)
    assert other.granted == 295


def test_a_request_started_after_its_grant_is_logged_at_its_start(pg_engine: Engine) -> None:
    clock = ManualClock(T0)
    gate = worker(pg_engine, clock, "w").gate("github")
    early = gate.admit(1)
    assert early is not None
    clock.advance(timedelta(minutes=20))  # the batch waited for its turn
    with gate.using(early):
        assert gate.spend() is None
    other = worker(pg_engine, clock, "other").gate("github")
    assert drain(other) == BUDGET.requests - 1
    # One hour after the grant the request is still in the window: it started 20 minutes later
    # (logged at its grant, it would have left and let one more start).
    clock.set(T0 + timedelta(hours=1))
    assert drain(other) == 0
    clock.set(T0 + timedelta(hours=1, minutes=21))
    assert drain(other) == BUDGET.requests


def test_a_header_figure_seen_by_one_worker_holds_back_the_others(pg_engine: Engine) -> None:
    clock = ManualClock(T0)
    first, second = (worker(pg_engine, clock, f"w{i}").gate("github") for i in range(2))
    ticket = first.admit(1)
    assert ticket is not None
    with first.using(ticket):
        assert first.spend() is None
        # The platform counts other clients too: 1 request left this hour.
        reset = int((T0 + timedelta(minutes=30)).timestamp())
        first.observe(200, {"x-ratelimit-remaining": "1", "x-ratelimit-reset": str(reset)})
    assert drain(second) == 1
    assert second.ready_at(1) == datetime.fromtimestamp(reset, UTC)
    clock.set(datetime.fromtimestamp(reset, UTC))
    assert drain(second) >= 1  # the window reset: the bucket alone decides again


def test_workers_with_other_tokens_keep_other_budgets(pg_engine: Engine) -> None:
    clock = ManualClock(T0)
    first = worker(pg_engine, clock, "a", token="token-one").gate("github")
    second = worker(pg_engine, clock, "b", token="token-two").gate("github")
    third = worker(pg_engine, clock, "c", token="token-two").gate("github")
    assert drain(first) == BUDGET.requests and drain(second) == BUDGET.requests
    assert drain(third) == 0  # the same token as the second: the same budget


def test_a_ticketless_request_draws_one_and_waits_for_the_oldest_to_leave(
    pg_engine: Engine,
) -> None:
    clock = ManualClock(T0)
    gate = worker(pg_engine, clock, "w").gate("github")
    for _ in range(BUDGET.requests):
        assert gate.spend() is None
        clock.advance(timedelta(seconds=30))
    wait = gate.spend()
    # The first request, at T0, leaves the window at T0 + 1 h: 30 minutes from now.
    assert wait == pytest.approx(1800.0)
    clock.advance(timedelta(seconds=wait))
    assert gate.spend() is None


def test_on_sqlite_the_runtime_keeps_each_gate_s_own_window(engine: Engine) -> None:
    runtime = Runtime.on(engine, settings(), ManualClock(T0))
    gate = runtime.gate("github")
    if engine.dialect.name == "sqlite":
        assert runtime.ledger is None and gate.shared is None
        # The local sliding window, unchanged: the whole budget at once, then nothing.
        assert drain(gate) == BUDGET.requests
    else:
        assert gate.shared is not None
        assert drain(gate) == BUDGET.requests
