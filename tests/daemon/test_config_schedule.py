"""The config is the schedule: a changed interval counts from the last poll, not the old due."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Connection, Engine, select, update
from sqlmodel import Session

from bot.clock import ManualClock
from bot.config import Settings
from bot.daemon.scheduler import apply_intervals, run_daemon
from bot.daemon.status import status
from bot.query.accounts import account_by_key
from bot.store.tables import ACCOUNT
from bot.store.writes import reschedule_idle
from tests.helpers.daemon import cycle, make_runtime
from tests.helpers.settings import settings_for

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
KEY = "bluesky:a.bsky.social"


def profiles(request: httpx.Request) -> httpx.Response:
    """A Bluesky AppView that knows every actor asked for."""
    actors = request.url.params.get_list("actors")
    found = [
        {"did": f"did:plc:{i}", "handle": a, "followersCount": 1000, "followsCount": 5}
        for i, a in enumerate(actors)
    ]
    return httpx.Response(200, json={"profiles": found})


def failing(_request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, text="unavailable")


def every(hours: int) -> Settings:
    return settings_for(["a.bsky.social"], poll_interval=timedelta(hours=hours))


def due_at(engine: Engine) -> datetime:
    with Session(engine) as session:
        due = account_by_key(session, KEY).next_poll_at
    assert due is not None
    return due.astimezone(UTC)


def test_a_shortened_interval_counts_from_the_last_poll(engine: Engine) -> None:
    clock = ManualClock(T0)
    assert len(cycle(engine, make_runtime(every(6), clock)[0], profiles)) == 1
    clock.set(T0 + timedelta(hours=3))
    # Under the old six hours nothing is due yet.
    assert cycle(engine, make_runtime(every(6), clock)[0], profiles) == []
    # Under one hour the account is three hours old: stale until the daemon polls it...
    assert [a["problem"] for a in status(engine, every(1), clock())["accounts"]] == ["stale"]
    # ...which it does at once when it starts: due one hour after the last poll, not at the old
    # due time.
    hourly, _ = make_runtime(every(1), clock)
    assert apply_intervals(engine, every(1), hourly) == 1
    assert due_at(engine) <= T0 + timedelta(hours=1)
    results = cycle(engine, hourly, profiles)
    assert [r.outcome for r in results] == ["ok"]
    assert status(engine, every(1), clock())["accounts"] == []
    next_due = T0 + timedelta(hours=4)
    assert next_due - timedelta(minutes=6) <= due_at(engine) <= next_due


def test_a_lengthened_interval_postpones_at_start_but_a_retry_stands(engine: Engine) -> None:
    clock = ManualClock(T0)
    cycle(engine, make_runtime(every(1), clock)[0], profiles)
    unchanged, _ = make_runtime(every(1), clock)
    before = due_at(engine)
    assert apply_intervals(engine, every(1), unchanged) == 0 and due_at(engine) == before
    longer, _ = make_runtime(every(12), clock)
    assert apply_intervals(engine, every(12), longer) == 1
    assert T0 + timedelta(hours=12, minutes=-10) <= due_at(engine) <= T0 + timedelta(hours=12)
    clock.set(T0 + timedelta(hours=2))
    assert cycle(engine, make_runtime(every(12), clock)[0], profiles) == []
    # A failed poll is retried early whatever the interval: the daemon's start keeps that.
    clock.set(T0 + timedelta(hours=12))
    assert [r.outcome for r in cycle(engine, longer, failing)] == ["http_error"]
    retry = due_at(engine)
    assert retry <= clock() + timedelta(minutes=15)
    assert apply_intervals(engine, every(12), make_runtime(every(12), clock)[0]) == 0
    assert due_at(engine) == retry


def test_the_daemon_applies_the_interval_when_it_starts(engine: Engine) -> None:
    clock = ManualClock(T0)
    cycle(engine, make_runtime(every(6), clock)[0], profiles)
    stop = asyncio.Event()
    asked: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        stop.set()  # one poll is the proof: the old due time was three hours away
        return profiles(request)

    async def go() -> None:
        daemon = run_daemon(
            every(1),
            engine,
            clock=ManualClock(T0 + timedelta(hours=3)),
            transport=httpx.MockTransport(handler),
            stop=stop,
        )
        await asyncio.wait_for(daemon, timeout=30)

    asyncio.run(go())
    assert len(asked) == 1
    with Session(engine) as session:
        polled = account_by_key(session, KEY).last_polled_at
    assert polled is not None and polled.astimezone(UTC) == T0 + timedelta(hours=3)


def test_a_row_claimed_or_moved_since_it_was_read_keeps_its_lease_and_due_time(
    engine: Engine,
) -> None:
    # apply_intervals reads, then writes: a worker claiming the account in between must keep
    # it (found by the soak: one batch polled by two workers around a worker's restart).
    clock = ManualClock(T0)
    cycle(engine, make_runtime(every(6), clock)[0], profiles)
    read = due_at(engine)
    later = T0 + timedelta(hours=1)
    with engine.begin() as connection:
        connection.execute(update(ACCOUNT).values(lease_owner="other:1", lease_until=later))
        assert reschedule_idle(connection, {1: (read, T0)}, T0) == 0
        row = connection.execute(select(ACCOUNT.c.lease_owner, ACCOUNT.c.next_poll_at)).one()
        assert row.lease_owner == "other:1" and row.next_poll_at.astimezone(UTC) == read
        # Polled and rescheduled by that worker since the read: the new due time stands.
        moved = read + timedelta(minutes=5)
        connection.execute(
            update(ACCOUNT).values(lease_owner=None, lease_until=None, next_poll_at=moved)
        )
        assert reschedule_idle(connection, {1: (read, T0)}, T0) == 0
        assert due_at_row(connection) == moved
        # Idle and as read: moved.
        assert reschedule_idle(connection, {1: (moved, T0)}, T0) == 1
        assert due_at_row(connection) == T0


def due_at_row(connection: Connection) -> datetime:
    due = connection.execute(select(ACCOUNT.c.next_poll_at)).scalar_one()
    return due.astimezone(UTC)
