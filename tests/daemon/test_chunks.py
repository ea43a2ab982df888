"""The cycle in chunks: a claim limit below the due set, paging in ``bot poll``, light rows."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from bot.clock import ManualClock
from bot.config import Settings
from bot.daemon.metrics import Metrics
from bot.daemon.poller import PollResult, poll_scheduled, stream_due
from bot.daemon.scheduler import tick
from bot.http.client import make_client
from bot.store.accounts import sync_accounts
from bot.store.claims import DueAccount, claim_due
from bot.store.models import PollAttempt, Snapshot
from tests.daemon.test_poller import bluesky_handler
from tests.helpers.daemon import make_runtime
from tests.helpers.settings import settings_for

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
HANDLES = [f"user{i}.bsky.social" for i in range(23)]


def stored(engine: Engine, table: type[Snapshot] | type[PollAttempt]) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def setup(engine: Engine, handles: list[str] = HANDLES) -> tuple[Settings, ManualClock]:
    settings = settings_for(handles)
    clock = ManualClock(T0)
    with Session(engine) as session:
        sync_accounts(session, settings, clock())
    return settings, clock


def test_a_claim_limit_below_the_due_set_polls_each_account_once(engine: Engine) -> None:
    settings, clock = setup(engine)
    seen: list[httpx.Request] = []
    chunks: list[list[PollResult]] = []
    stored_before: list[int] = []

    async def go() -> None:
        async with make_client(transport=bluesky_handler(seen)) as client:
            async for chunk in stream_due(
                engine=engine, settings=settings, client=client, clock=clock, limit=5
            ):
                # Each chunk is stored before its lines come out.
                stored_before.append(stored(engine, Snapshot))
                chunks.append(chunk)

    asyncio.run(go())
    assert [len(c) for c in chunks] == [5, 5, 5, 5, 3]
    assert stored_before == [5, 10, 15, 20, 23]
    polled = Counter(r.handle for chunk in chunks for r in chunk)
    assert polled == Counter(HANDLES)
    assert all(r.outcome == "ok" for chunk in chunks for r in chunk)
    assert stored(engine, PollAttempt) == 23
    # Nothing is due any more: the next cycle yields one empty chunk and stops.
    again: list[list[PollResult]] = []

    async def next_cycle() -> None:
        async with make_client(transport=bluesky_handler(seen)) as client:
            async for chunk in stream_due(
                engine=engine, settings=settings, client=client, clock=clock, limit=5
            ):
                again.append(chunk)

    asyncio.run(next_cycle())
    assert again == [[]]


def test_a_limit_equal_to_the_due_set_claims_once_more_and_stops(engine: Engine) -> None:
    settings, clock = setup(engine)
    sizes: list[int] = []

    async def go() -> None:
        async with make_client(transport=bluesky_handler([])) as client:
            async for chunk in stream_due(
                engine=engine, settings=settings, client=client, clock=clock, limit=23
            ):
                sizes.append(len(chunk))

    asyncio.run(go())
    assert sizes == [23, 0]


def test_bot_poll_pages_through_every_scheduled_account_once(engine: Engine) -> None:
    settings, clock = setup(engine)
    seen: list[httpx.Request] = []
    chunks: list[list[PollResult]] = []

    async def go(everything: bool) -> None:
        async with make_client(transport=bluesky_handler(seen)) as client:
            async for chunk in poll_scheduled(
                engine=engine,
                settings=settings,
                client=client,
                clock=clock,
                everything=everything,
                limit=4,
            ):
                chunks.append(chunk)

    asyncio.run(go(everything=False))
    assert [len(c) for c in chunks] == [4, 4, 4, 4, 4, 3]
    assert Counter(r.handle for c in chunks for r in c) == Counter(HANDLES)
    # Polled just now, so none is due; --all polls every one of them again, once.
    chunks.clear()
    asyncio.run(go(everything=False))
    assert chunks == []
    asyncio.run(go(everything=True))
    assert Counter(r.handle for c in chunks for r in c) == Counter(HANDLES)
    assert stored(engine, PollAttempt) == 46


def test_claims_are_light_rows_by_id(engine: Engine) -> None:
    settings, clock = setup(engine)
    claimed = claim_due(engine, clock(), worker="w", lease=settings.poll_interval, limit=30)
    assert len(claimed) == 23 and all(type(a) is DueAccount for a in claimed)
    assert [a.id for a in claimed] == sorted(a.id for a in claimed)
    assert {a.handle for a in claimed} == set(HANDLES)
    first = claimed[0]
    assert (first.platform, first.platform_id, first.status) == ("bluesky", None, "active")


def test_the_daemons_tick_counts_each_chunk_and_keeps_no_lines(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    settings, clock = setup(engine)
    runtime, _ = make_runtime(settings, clock)
    metrics = Metrics()

    async def go() -> list[PollResult]:
        async with make_client(transport=bluesky_handler([])) as client:
            return await tick(engine, settings, client, runtime, metrics=metrics, keep=False)

    with caplog.at_level(logging.INFO, logger="bot.daemon.scheduler"):
        assert asyncio.run(go()) == []
    assert "polled 23 accounts, 0 not ok, 0 deferred" in caplog.messages
    assert stored(engine, Snapshot) == 23
    polls = metrics.registry.get_sample_value(
        "bot_polls_total", {"platform": "bluesky", "outcome": "ok"}
    )
    assert polls == 23
