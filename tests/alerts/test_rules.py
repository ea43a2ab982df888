"""The alert rules, pure: tables of stored facts and what holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.alerts.rules import (
    AccountFacts,
    PlatformFacts,
    account_findings,
    drop_finding,
    is_drop,
    platform_findings,
    span,
)
from bot.config import AlertRules

T0 = datetime(2025, 3, 1, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")


def _account(
    counts: list[int],
    *,
    rules: AlertRules | None = None,
    status: str = "active",
    every: timedelta = timedelta(hours=1),
    previous_high: int | None = None,
) -> AccountFacts:
    return AccountFacts(
        id=7,
        platform="x",
        handle="DGSN_MAROC",
        label="DGSN",
        status=status,
        rules=rules or AlertRules(),
        interval=every,
        created_at=T0,
        last_success=T0 + every * (len(counts) - 1) if counts else None,
        points=[(T0 + every * i, n) for i, n in enumerate(counts)],
        previous_high=previous_high,
    )


@pytest.mark.parametrize(
    ("counts", "fires"),
    [
        ([1000, 1000, 900, 900], True),  # 10% that holds
        ([1000, 1000, 900], False),  # one poll: not yet
        ([1000, 900, 1000], False),  # a one-poll dip
        ([1000, 1000, 910, 905], False),  # 9.5%: under the line
        ([1000, 950, 900, 890], True),  # a slide counts once the two newest are past the line
        ([1000, 950, 900, 960], False),
        ([1000, 990, 890, 880], True),  # from the window's high, 1000
        ([50, 40, 40], True),  # small accounts too: the rule is the user's
    ],
)
def test_a_drop_fires_only_when_it_holds(counts: list[int], fires: bool) -> None:
    assert (drop_finding(_account(counts), open_drop=None) is not None) is fires


def test_a_drop_outside_the_window_is_not_compared() -> None:
    account = _account([1000, 900, 900], every=timedelta(days=1))
    assert drop_finding(account, open_drop=None) is None


def test_an_open_drop_stays_until_recovered_or_a_window_past_its_high() -> None:
    detail = {"peak": 1000, "peak_at": T0.isoformat()}
    assert drop_finding(_account([1000, 900, 900, 895]), open_drop=detail) is not None
    assert drop_finding(_account([1000, 900, 900, 950]), open_drop=detail) is None
    late = _account([1000, 900, 900], every=timedelta(hours=13))
    assert drop_finding(late, open_drop=detail) is None


def test_drop_by_number_of_followers() -> None:
    rules = AlertRules(drop_percent=None, drop_followers=50)
    assert is_drop(10_000, 9_950, rules) and not is_drop(10_000, 9_951, rules)
    assert not is_drop(10_000, 10_100, AlertRules())


def test_status_and_its_label() -> None:
    [found] = account_findings(
        _account([1000], status="not_found"), now=T0, milestones=(), open_drop=None, tz=UTC_ZONE
    )
    assert found.message == "DGSN (x:DGSN_MAROC): account not found"
    assert found.key == "status|account:7"
    off = _account([1000], status="suspended", rules=AlertRules(status=False))
    assert account_findings(off, now=T0, milestones=(), open_drop=None, tz=UTC_ZONE) == []
    disabled = _account([1000], status="suspended", rules=AlertRules(enabled=False))
    assert account_findings(disabled, now=T0, milestones=(), open_drop=None, tz=UTC_ZONE) == []


@pytest.mark.parametrize(
    ("counts", "high", "expected"),
    [
        ([990, 1005], None, [1000]),
        ([990, 5100], None, [5000]),  # the highest one passed
        ([990, 1005], 1200, []),  # back above a milestone it had passed: no news
        ([1005], None, []),  # a first count is not a crossing
        ([1005, 1010], None, []),
    ],
)
def test_milestones(counts: list[int], high: int | None, expected: list[int]) -> None:
    found = account_findings(
        _account(counts, previous_high=high),
        now=T0,
        milestones=(1000, 5000),
        open_drop=None,
        tz=UTC_ZONE,
    )
    assert [f.value for f in found if f.kind == "milestone"] == expected


def test_no_successful_poll_for_k_intervals() -> None:
    account = _account([1000], rules=AlertRules(missed_polls=3))

    def silent(at: datetime) -> bool:
        found = account_findings(account, now=at, milestones=(), open_drop=None, tz=UTC_ZONE)
        return any(f.kind == "silent" for f in found)

    assert not silent(T0 + timedelta(hours=3))
    assert silent(T0 + timedelta(hours=3, minutes=1))


def test_credentials_are_one_alert_per_platform() -> None:
    accounts = [
        _account([1], status="auth_error"),
        AccountFacts(8, "x", "other", None, "auth_error", AlertRules(), timedelta(hours=1), T0),
        AccountFacts(9, "bluesky", "ok", None, "active", AlertRules(), timedelta(hours=1), T0),
    ]
    [found] = platform_findings(
        [], accounts, now=T0, blocked_for=None, open_blocked=set(), tz=UTC_ZONE
    )
    assert found.key == "credentials|platform:x"
    assert found.message == "x: credentials refused for 2 account(s): DGSN (x:DGSN_MAROC), x:other"


def test_a_platform_blocked_longer_than_t() -> None:
    accounts = [_account([1])]

    def blocked(until: timedelta, since: timedelta, state: str = "rate_limited") -> bool:
        facts = PlatformFacts("x", state, T0 + until, T0 - since, T0)
        return bool(
            platform_findings(
                [facts],
                accounts,
                now=T0,
                blocked_for=timedelta(hours=1),
                open_blocked=set(),
                tz=UTC_ZONE,
            )
        )

    assert blocked(timedelta(hours=2), timedelta(0))  # told to wait two hours
    assert blocked(timedelta(minutes=5), timedelta(hours=1))  # an hour without success
    assert not blocked(timedelta(minutes=5), timedelta(minutes=10))
    assert blocked(timedelta(hours=2), timedelta(0), "circuit_open")
    assert not blocked(timedelta(hours=2), timedelta(0), "ok")


def test_span() -> None:
    assert [span(timedelta(days=1)), span(timedelta(hours=6)), span(timedelta(seconds=90))] == [
        "1d",
        "6h",
        "90s",
    ]
