"""A chunk stored while the next is polled (PostgreSQL), in order, and never left running."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from bot.clock import ManualClock
from bot.config import Settings
from bot.daemon import poller, storing
from bot.daemon.metrics import Metrics
from bot.daemon.poller import PollResult, stream_due
from bot.daemon.scheduler import tick
from bot.http.client import make_client
from bot.store.models import PollAttempt, Snapshot
from tests.daemon.test_chunks import setup as accounts_due
from tests.daemon.test_chunks import stored
from tests.daemon.test_poller import bluesky_handler
from tests.helpers.daemon import make_runtime

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
HANDLES = [f"user{i}.bsky.social" for i in range(12)]
LIMIT = 5  # three chunks: 5, 5 and 2 accounts, one request each


class Requests(list[httpx.Request]):
    """The requests seen; ``second`` is set when the second chunk's request arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.second = threading.Event()

    def append(self, request: httpx.Request) -> None:
        super().append(request)
        if len(self) >= 2:
            self.second.set()


def setup(engine: Engine) -> tuple[Settings, ManualClock]:
    return accounts_due(engine, HANDLES)


def watch_saves(
    monkeypatch: pytest.MonkeyPatch, before: Callable[[int], None]
) -> list[tuple[int, str]]:
    """Call ``before(n)`` as the n-th chunk's store begins; (n, thread name) of each store."""
    saves: list[tuple[int, str]] = []
    real = storing.save_cycle

    def save_cycle(engine: Engine, records: Any, due: Any) -> dict[int, str]:
        saves.append((len(saves) + 1, threading.current_thread().name))
        before(len(saves))
        return real(engine, records, due)

    monkeypatch.setattr(storing, "save_cycle", save_cycle)
    return saves


def watch_claims(monkeypatch: pytest.MonkeyPatch, before: Callable[[int], None]) -> list[int]:
    """Call ``before(n)`` (which may raise) as the n-th claim begins; one item per claim."""
    claims: list[int] = []
    real = poller.claim_due

    def claim_due(*args: Any, **kwargs: Any) -> Any:
        claims.append(len(claims) + 1)
        before(len(claims))
        return real(*args, **kwargs)

    monkeypatch.setattr(poller, "claim_due", claim_due)
    return claims


def cycle(
    engine: Engine,
    settings: Settings,
    clock: ManualClock,
    seen: list[httpx.Request],
    chunks: list[list[PollResult]] | None = None,
    stored_before: list[int] | None = None,
) -> list[list[PollResult]]:
    """A daemon's cycle, ``LIMIT`` accounts a chunk; each chunk's lines as they come out."""
    out: list[list[PollResult]] = [] if chunks is None else chunks

    async def go() -> None:
        async with make_client(transport=bluesky_handler(seen)) as client:
            async for chunk in stream_due(
                engine=engine, settings=settings, client=client, clock=clock, limit=LIMIT
            ):
                if stored_before is not None:
                    stored_before.append(stored(engine, Snapshot))
                out.append(chunk)

    asyncio.run(go())
    return out


@pytest.mark.postgres
def test_on_postgresql_a_chunk_is_stored_while_the_next_is_polled(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, clock = setup(pg_engine)
    seen = Requests()
    overlapped: list[bool] = []

    def before(n: int) -> None:
        if n == 1:
            # Held until the second chunk's request arrives: it never would if the first chunk
            # had to be stored before the second was claimed.
            overlapped.append(seen.second.wait(timeout=10))

    saves = watch_saves(monkeypatch, before)
    counts: list[int] = []
    chunks = cycle(pg_engine, settings, clock, seen, stored_before=counts)
    assert overlapped == [True]
    assert all(name != threading.main_thread().name for _, name in saves)
    # In order, each account once, and each chunk stored before its lines came out (the next
    # one's store may have begun too).
    assert [r.handle for chunk in chunks for r in chunk] == HANDLES
    assert [len(c) for c in chunks] == [5, 5, 2]
    assert counts[0] >= 5 and counts[1] >= 10 and counts[2] == 12
    assert stored(pg_engine, Snapshot) == stored(pg_engine, PollAttempt) == 12


def test_on_sqlite_a_chunk_is_stored_before_the_next_is_claimed(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.store.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    migrate(engine)
    settings, clock = setup(engine)
    seen = Requests()
    claims = watch_claims(monkeypatch, lambda n: None)
    early: list[tuple[int, bool]] = []
    saves = watch_saves(monkeypatch, lambda n: early.append((len(claims), seen.second.is_set())))
    chunks = cycle(engine, settings, clock, seen)
    # The n-th store begins after the n-th claim and before the next one (and its request).
    assert early == [(1, False), (2, True), (3, True)]
    assert {name for _, name in saves} == {threading.main_thread().name}
    assert [len(c) for c in chunks] == [5, 5, 2]
    engine.dispose()


@pytest.mark.postgres
def test_a_store_that_fails_ends_the_cycle_with_its_error(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    settings, clock = setup(pg_engine)

    def before(n: int) -> None:
        if n == 1:
            raise RuntimeError("the database went away")

    watch_saves(monkeypatch, before)
    seen = Requests()
    chunks: list[list[PollResult]] = []
    caplog.set_level(logging.ERROR, logger="bot.daemon.storing")
    with pytest.raises(RuntimeError, match="went away"):
        cycle(pg_engine, settings, clock, seen, chunks)
    assert chunks == []
    assert len(seen) == 2  # the second chunk was polled meanwhile; nothing of it stored, said
    assert stored(pg_engine, Snapshot) == 0
    assert "the next chunk's 5 accounts were not stored" in caplog.text


@pytest.mark.postgres
def test_a_chunk_stored_before_an_error_still_has_its_lines(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, clock = setup(pg_engine)

    def fail_second(n: int) -> None:
        if n == 2:
            raise ConnectionError("no route to the database")

    watch_claims(monkeypatch, fail_second)
    chunks: list[list[PollResult]] = []
    with pytest.raises(ConnectionError):
        cycle(pg_engine, settings, clock, Requests(), chunks)
    assert [[r.handle for r in chunk] for chunk in chunks] == [HANDLES[:5]]
    assert stored(pg_engine, Snapshot) == 5


@pytest.mark.postgres
def test_a_caller_that_leaves_waits_for_the_store_in_flight(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, clock = setup(pg_engine)
    release = threading.Event()
    watch_saves(monkeypatch, lambda n: release.wait(timeout=0.3) if n == 2 else None)
    seen = Requests()
    counts: list[int] = []

    async def go() -> None:
        async with make_client(transport=bluesky_handler(seen)) as client:
            chunks = stream_due(
                engine=pg_engine, settings=settings, client=client, clock=clock, limit=LIMIT
            )
            await anext(chunks)  # the first chunk's lines: the second is being stored now
            await chunks.aclose()
            counts.append(stored(pg_engine, Snapshot))

    asyncio.run(go())
    assert counts == [10]  # the second chunk's store finished before ``aclose`` returned


@pytest.mark.postgres
def test_a_store_failing_as_another_error_ends_the_cycle_is_logged(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    settings, clock = setup(pg_engine)
    gate = threading.Event()

    def before(n: int) -> None:
        gate.wait(timeout=10)  # still storing when the next claim fails
        raise ValueError("refused")

    watch_saves(monkeypatch, before)

    def fail_second(n: int) -> None:
        if n == 2:
            gate.set()
            raise ConnectionError("no route to the database")

    watch_claims(monkeypatch, fail_second)
    caplog.set_level(logging.ERROR, logger="bot.daemon.storing")
    with pytest.raises(ConnectionError):
        cycle(pg_engine, settings, clock, Requests())
    assert "storing a chunk of polls failed as the cycle ended (ValueError)" in caplog.text


@pytest.mark.postgres
def test_a_tick_that_fails_waits_for_the_store_in_flight(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, clock = setup(pg_engine)
    runtime, _ = make_runtime(settings, clock)
    kwdefaults = poller.stream_due.__kwdefaults__
    assert kwdefaults is not None
    monkeypatch.setitem(kwdefaults, "limit", LIMIT)  # the daemon's tick: chunks of five
    watch_saves(monkeypatch, lambda n: time.sleep(0.3) if n == 2 else None)

    class Failing(Metrics):
        def observe(self, *args: Any, **kwargs: Any) -> None:
            raise RuntimeError("the metrics broke")

    counts: list[int] = []

    async def go() -> None:
        async with make_client(transport=bluesky_handler([])) as client:
            with pytest.raises(RuntimeError, match="metrics broke"):
                await tick(pg_engine, settings, client, runtime, metrics=Failing(), keep=False)
            counts.append(stored(pg_engine, Snapshot))

    asyncio.run(go())
    # The first chunk's lines reached the metrics while the second was being stored: the tick
    # closed the stream as it failed, and that waited for the second store.
    assert counts == [10]
