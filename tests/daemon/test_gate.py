"""The poller's quality gate on an injected clock: confirmation takes time, re-checks, events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import Engine, select
from sqlmodel import Session

from bot.clock import ManualClock
from bot.daemon.status import status
from bot.digest.build import build_digest
from bot.digest.fmt import anomaly_text
from bot.query.accounts import account_by_key
from bot.store.models import PlatformEvent, Snapshot
from tests.daemon.test_faults import ok, poll_named, profile, qualities
from tests.helpers.daemon import cycle, make_runtime
from tests.helpers.settings import settings_for

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)


def test_two_bad_answers_30_seconds_apart_stay_suspect(engine: Engine) -> None:
    clock = ManualClock(T0)
    runtime, _ = make_runtime(settings_for(["a.bsky.social"]), clock)
    cycle(engine, runtime, ok(5000))
    outcomes = []
    for _ in range(2):
        clock.advance(timedelta(seconds=30))
        [result] = poll_named(engine, runtime, ok(150))
        outcomes.append(result.outcome)
    assert outcomes == ["suspect", "suspect"]
    assert qualities(engine) == ["ok", "suspect", "suspect"]


def test_a_drop_that_holds_6h_over_two_more_observations_is_confirmed(engine: Engine) -> None:
    clock = ManualClock(T0)
    runtime, _ = make_runtime(settings_for(["a.bsky.social"]), clock)
    cycle(engine, runtime, ok(5000))
    clock.advance(timedelta(hours=1))
    poll_named(engine, runtime, ok(3000))
    clock.advance(timedelta(hours=5, minutes=59))
    poll_named(engine, runtime, ok(3010))
    assert qualities(engine) == ["ok", "suspect", "suspect"]  # held 5h59: not yet
    clock.advance(timedelta(minutes=1))
    [result] = poll_named(engine, runtime, ok(2990))
    assert result.outcome == "ok"
    assert qualities(engine) == ["ok", "confirmed_drop", "ok", "ok"]


def test_six_hours_with_one_observation_is_not_enough(engine: Engine) -> None:
    clock = ManualClock(T0)
    runtime, _ = make_runtime(settings_for(["a.bsky.social"]), clock)
    cycle(engine, runtime, ok(5000))
    clock.advance(timedelta(hours=1))
    poll_named(engine, runtime, ok(3000))
    clock.advance(timedelta(hours=7))
    poll_named(engine, runtime, ok(3000))
    assert qualities(engine) == ["ok", "suspect", "suspect"]


def test_confirm_drop_after_is_the_settings_value(engine: Engine) -> None:
    clock = ManualClock(T0)
    settings = settings_for(["a.bsky.social"], confirm_drop_after=timedelta(hours=1))
    runtime, _ = make_runtime(settings, clock)
    cycle(engine, runtime, ok(5000))
    for _ in range(2):
        clock.advance(timedelta(minutes=30))
        poll_named(engine, runtime, ok(3000))
    assert qualities(engine) == ["ok", "suspect", "suspect"]  # held 30 min
    clock.advance(timedelta(minutes=30))
    poll_named(engine, runtime, ok(3000))  # held 1 h over two more observations
    assert qualities(engine) == ["ok", "confirmed_drop", "ok", "ok"]


def test_a_suspect_account_is_polled_again_after_recheck_after(engine: Engine) -> None:
    clock = ManualClock(T0)
    runtime, _ = make_runtime(settings_for(["a.bsky.social"]), clock)
    cycle(engine, runtime, ok(5000))
    clock.advance(timedelta(hours=6))
    [result] = cycle(engine, runtime, ok(0))
    assert result.outcome == "suspect"
    with Session(engine) as session:
        account = account_by_key(session, "bluesky:a.bsky.social")
        assert account.next_poll_at == clock() + timedelta(minutes=15)
    clock.advance(timedelta(minutes=15))
    [again] = cycle(engine, runtime, ok(5001))
    assert again.outcome == "ok"
    assert qualities(engine) == ["ok", "suspect", "ok"]
    with Session(engine) as session:
        account = account_by_key(session, "bluesky:a.bsky.social")
        assert account.next_poll_at is not None
        assert account.next_poll_at > clock() + timedelta(hours=5)  # back to its interval


def test_a_polled_spike_is_judged_again_by_the_next_poll(engine: Engine) -> None:
    clock = ManualClock(T0)
    runtime, _ = make_runtime(settings_for(["a.bsky.social"]), clock)
    cycle(engine, runtime, ok(5000))
    clock.advance(timedelta(hours=6))
    [spike] = poll_named(engine, runtime, ok(50000))
    assert spike.outcome == "ok"  # nothing after it yet: a real jump for all we know
    clock.advance(timedelta(hours=6))
    poll_named(engine, runtime, ok(5010))
    assert qualities(engine) == ["ok", "suspect", "ok"]


def by_actor(counts: dict[str, int]) -> httpx.MockTransport | object:
    def handle(request: httpx.Request) -> httpx.Response:
        actors = request.url.params.get_list("actors")
        keys = [a.removeprefix("did:plc:")[0] for a in actors]
        return httpx.Response(
            200, json={"profiles": [profile(f"{k}.bsky.social", counts[k]) for k in keys]}
        )

    return handle


def events(engine: Engine) -> list[tuple[str, int, int, bool]]:
    with engine.connect() as connection:
        rows = connection.execute(select(PlatformEvent).order_by(PlatformEvent.started_at))  # type: ignore[call-overload]
        return [(r.platform, r.suspect, r.polled, r.ended_at is None) for r in rows]


def test_many_accounts_suspect_in_one_cycle_is_one_platform_event(engine: Engine) -> None:
    handles = ["a", "b", "c", "d"]
    clock = ManualClock(T0)
    runtime, _ = make_runtime(settings_for([f"{h}.bsky.social" for h in handles]), clock)
    cycle(engine, runtime, by_actor(dict.fromkeys(handles, 5000)))  # type: ignore[arg-type]
    down = {"a": 100, "b": 100, "c": 100, "d": 5000}
    for _ in range(8):  # 8 h of hourly polls at the new level: longer than confirm_drop_after
        clock.advance(timedelta(hours=1))
        poll_named(engine, runtime, by_actor(down))  # type: ignore[arg-type]
    assert events(engine) == [("bluesky", 3, 4, True)]  # recorded once, still lasting
    with engine.connect() as connection:
        confirmed = connection.execute(
            select(Snapshot).where(Snapshot.quality == "confirmed_drop")  # type: ignore[arg-type]
        ).all()
    assert confirmed == []  # none confirmed on its own while the event lasts
    [line] = [p for p in status(engine, runtime.settings, clock())["platforms"]]
    assert line["platform"] == "bluesky"
    assert line["event"] == "3 of 4 accounts suspect at once"
    assert line["event_since"] == T0 + timedelta(hours=1)
    digest = build_digest(engine, runtime.settings, T0.date(), now=clock())
    [glitch] = [a for a in digest.anomalies if a.kind == "platform_glitch"]
    assert (glitch.platform, glitch.at, glitch.followers, glitch.previous) == (
        "bluesky",
        T0 + timedelta(hours=1),
        3,
        4,
    )
    assert anomaly_text(glitch, ZoneInfo("UTC")) == (
        "Platform event on bluesky from 2025-03-01 13:00: 3 of 4 accounts turned suspect in"
        " one poll; no drop there is confirmed while it lasts"
    )
    clock.advance(timedelta(hours=1))
    poll_named(engine, runtime, by_actor(dict.fromkeys(handles, 5000)))  # type: ignore[arg-type]
    assert events(engine) == [("bluesky", 3, 4, False)]  # back: the event is over
    assert status(engine, runtime.settings, clock())["platforms"][0]["event"] is None


def test_one_account_dropping_is_no_platform_event(engine: Engine) -> None:
    handles = ["a", "b", "c", "d"]
    clock = ManualClock(T0)
    runtime, _ = make_runtime(settings_for([f"{h}.bsky.social" for h in handles]), clock)
    cycle(engine, runtime, by_actor(dict.fromkeys(handles, 5000)))  # type: ignore[arg-type]
    clock.advance(timedelta(hours=1))
    poll_named(engine, runtime, by_actor({"a": 100, "b": 5000, "c": 5000, "d": 5000}))  # type: ignore[arg-type]
    assert events(engine) == []
