"""Platform gates on a manual clock: budgets, header corrections, 429 pauses, the breaker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.clock import ManualClock
from bot.http.budget import (
    BREAKER_COOLDOWN,
    BREAKER_THRESHOLD,
    DEFAULT_PAUSE,
    PlatformGate,
    RateBudget,
)
from bot.http.headers import remaining_in_window, retry_after_seconds

T0 = datetime(2025, 1, 1, 12, tzinfo=UTC)


def gate(requests: int = 10, per: float = 60) -> tuple[PlatformGate, ManualClock]:
    clock = ManualClock(T0)
    return PlatformGate("p", RateBudget(requests, per), clock), clock


def spend(g: PlatformGate, n: int) -> None:
    for _ in range(n):
        assert g.spend() is None


def test_budget_admits_what_fits_and_frees_it_one_window_later() -> None:
    g, clock = gate(10, 60)
    first = g.admit(6)
    assert first is not None
    assert g.admit(5) is None  # 6 reserved + 5 > 10
    with g.using(first):
        spend(g, 6)
    assert g.available() == 4
    assert g.ready_at(5) == T0 + timedelta(seconds=60)
    clock.advance(timedelta(seconds=59))
    assert g.available() == 4
    clock.advance(timedelta(seconds=1))
    assert g.available() == 10


def test_unspent_reservation_is_given_back() -> None:
    g, _ = gate(10)
    ticket = g.admit(8)
    assert ticket is not None
    with g.using(ticket):
        spend(g, 3)
    assert g.available() == 7


def test_a_request_past_the_budget_is_told_to_wait() -> None:
    g, clock = gate(2, 60)
    spend(g, 2)
    wait = g.spend()
    assert wait == pytest.approx(60)
    clock.advance(timedelta(seconds=60))
    assert g.spend() is None


def test_a_batch_dearer_than_the_whole_budget_runs_alone_on_a_full_budget() -> None:
    g, _ = gate(5)
    assert g.admit(101) is not None
    assert g.admit(1) is None


def test_headers_lower_the_budget_and_a_spent_window_pauses_until_its_reset() -> None:
    g, clock = gate(300, 900)
    reset = int((T0 + timedelta(seconds=120)).timestamp())
    g.observe(200, {"x-rate-limit-remaining": "3", "x-rate-limit-reset": str(reset)})
    assert g.available() == 3
    g.observe(200, {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)})
    assert g.blocked() and g.view().state == "rate_limited"
    assert g.ready_at() == T0 + timedelta(seconds=120)
    clock.advance(timedelta(seconds=120))
    assert not g.blocked() and g.available() == 300


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "30"}, 30),
        ({"Retry-After": format_datetime(T0 + timedelta(seconds=90), usegmt=True)}, 90),
        ({"x-rate-limit-reset": str(int(T0.timestamp()) + 45)}, 45),
        ({"X-RateLimit-Reset": (T0 + timedelta(seconds=75)).isoformat()}, 75),
        ({"ratelimit-reset": "20"}, 20),
        ({}, None),
    ],
)
def test_429_pauses_until_the_reset_the_headers_give(
    headers: dict[str, str], seconds: int | None
) -> None:
    g, clock = gate()
    g.pause(retry_after_seconds(headers, clock))
    expected = timedelta(seconds=seconds) if seconds is not None else DEFAULT_PAUSE
    assert g.paused_until == T0 + expected
    assert g.admit(1) is None
    assert g.spend() == pytest.approx(expected.total_seconds())
    clock.advance(expected)
    assert g.admit(1) is not None
    assert g.view().rate_limited == 1


def test_another_workers_pause_is_adopted_only_when_later() -> None:
    g, _ = gate()
    g.pause_until(T0 + timedelta(minutes=5))
    g.pause_until(T0 + timedelta(minutes=1))
    assert g.paused_until == T0 + timedelta(minutes=5)
    g.pause_until(T0 - timedelta(minutes=1))
    assert g.paused_until == T0 + timedelta(minutes=5)


def test_breaker_opens_probes_once_and_closes_on_success() -> None:
    g, clock = gate(1000)
    for _ in range(BREAKER_THRESHOLD - 1):
        g.failed("HTTP 503")
    assert g.view().state == "ok"
    g.failed("HTTP 503")
    assert g.view().state == "circuit_open" and g.view().until == T0 + BREAKER_COOLDOWN
    assert g.admit(1) is None
    clock.advance(BREAKER_COOLDOWN)
    probe = g.admit(1)
    assert probe is not None
    assert g.admit(1) is None  # one probe at a time
    g.failed("HTTP 503")  # the probe failed: open again, for twice as long
    assert g.view().until == clock() + BREAKER_COOLDOWN * 2
    clock.advance(BREAKER_COOLDOWN * 2)
    assert g.admit(1) is not None
    g.succeeded()
    assert g.view().state == "ok" and g.view().consecutive_failures == 0
    assert g.admit(1) is not None and g.admit(1) is not None


def test_a_probe_without_verdict_lets_the_next_one_run() -> None:
    g, clock = gate(1000)
    for _ in range(BREAKER_THRESHOLD):
        g.failed()
    clock.advance(BREAKER_COOLDOWN)
    assert g.admit(1) is not None
    g.finished_batch()
    assert g.admit(1) is not None


@pytest.mark.parametrize(
    ("headers", "left"),
    [
        ({"x-rate-limit-remaining": "299"}, 299),
        ({"X-RateLimit-Remaining": "12"}, 12),
        ({"x-ratelimit-remaining": "587.0"}, 587),
        ({"ratelimit-remaining": "0"}, 0),
        ({"ratelimit-remaining": "-3"}, None),
        ({"ratelimit-remaining": "lots"}, None),
        ({}, None),
    ],
)
def test_remaining_in_window(headers: dict[str, str], left: int | None) -> None:
    assert remaining_in_window(headers) == left
