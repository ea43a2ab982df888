"""One poll cycle: claim due accounts, fetch them in batches within budget, assess, store.

Isolation: whatever happens while one batch is fetched or parsed is that batch's outcome (an
unexpected exception included, logged once with its accounts); a batch past its deadline is a
timeout; on stop, batches still running are deferred and what finished is stored; a row the
store refuses is written alone, never taking the rest of the cycle with it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import Engine

from bot.clock import Clock
from bot.config import Settings
from bot.daemon.gating import Decision, decide
from bot.daemon.isolation import Overdue, Stopping, within
from bot.daemon.records import PollResult, Schedule, to_record
from bot.daemon.runtime import Runtime
from bot.daemon.storing import Chunk, save, stored
from bot.errors import AuthError, ParseError, PlatformError, RateLimitedError, TimeoutError_
from bot.http.budget import PlatformGate, Ticket
from bot.http.redact import Redactor
from bot.kinds import PollOutcome, Quality
from bot.platforms.base import Adapter, FetchResult, Observation, Target, screened
from bot.store import history
from bot.store.claims import Pollable, claim_due, pull_back, scheduled_page

if TYPE_CHECKING:
    # The ORM only for ``select_accounts``: a cycle runs on Core and never imports it.
    from sqlmodel import Session

    from bot.store.models import Account

__all__ = [
    "PollResult",
    "poll_accounts",
    "poll_due",
    "poll_scheduled",
    "select_accounts",
    "stream_due",
]

log = logging.getLogger(__name__)
# Requests in flight at once across all platforms; each platform's budget is its gate's job.
MAX_IN_FLIGHT = 8
# A failed poll is tried again this soon (or at its interval, if that is sooner).
RETRY_FAILED_AFTER = timedelta(minutes=15)
# Claimed accounts stay ours this long; a worker that dies gives them up when it runs out.
LEASE = timedelta(minutes=10)
# Accounts claimed, polled and stored together: a cycle holds one such chunk in memory at a
# time, two on PostgreSQL (one being stored while the next is polled, bot/daemon/storing.py).
CLAIM_LIMIT = 5000
# A deferred account is not due again before this, so one tick never spins on it.
MIN_DEFER = timedelta(seconds=1)


@dataclass(frozen=True)
class Deferred:
    """Not polled this time: the platform's budget or breaker says not before ``until``."""

    until: datetime
    reason: str


Result = FetchResult | PlatformError | Deferred
Outcome = tuple[Pollable, Result, tuple[datetime, int]]


async def poll_scheduled(
    *,
    engine: Engine,
    settings: Settings,
    client: httpx.AsyncClient,
    clock: Clock,
    platform: str | None = None,
    everything: bool = False,
    limit: int = CLAIM_LIMIT,
) -> AsyncGenerator[list[PollResult], None]:
    """``bot poll``: the due (or ``everything`` scheduled) accounts, ``limit`` at a time, by id.

    Each chunk is polled and stored before its lines are yielded, so memory stays bounded (two
    chunks on PostgreSQL, one stored while the next is polled).
    """
    runtime = Runtime.on(engine, settings, clock)

    async def pages() -> AsyncGenerator[Chunk, None]:
        now, after = clock(), 0
        while True:
            page = scheduled_page(
                engine, now, after=after, limit=limit, platform=platform, everything=everything
            )
            if not page:
                return
            yield await _polled(page, engine, settings, client, runtime)
            after = page[-1].id

    # Closed with this generator: a store still running is waited for (``stored``).
    async with aclosing(stored(engine, pages())) as chunks:
        async for lines in chunks:
            yield lines


def select_accounts(
    session: Session,
    now: datetime,
    *,
    keys: Sequence[Account] | None = None,
    platform: str | None = None,
    everything: bool = False,
) -> list[Account]:
    """The accounts ``bot poll`` polls: those named, all scheduled ones, or the due ones."""
    from bot.store.accounts import scheduled_accounts

    if keys:
        return list(keys)
    return scheduled_accounts(session, now=now, platform=platform, everything=everything)


async def poll_accounts(
    accounts: Sequence[Pollable],
    *,
    engine: Engine,
    settings: Settings,
    client: httpx.AsyncClient,
    clock: Clock,
    runtime: Runtime | None = None,
    stop: asyncio.Event | None = None,
) -> list[PollResult]:
    """Poll ``accounts`` and store them (one transaction unless a row is refused).

    Everything here is held in memory at once: callers with many accounts go through
    ``stream_due`` or ``poll_scheduled``, which poll and store a chunk at a time.
    """
    if not accounts:
        return []
    runtime = runtime or Runtime.on(engine, settings, clock)
    return save(engine, await _polled(accounts, engine, settings, client, runtime, stop))


async def _polled(
    accounts: Sequence[Pollable],
    engine: Engine,
    settings: Settings,
    client: httpx.AsyncClient,
    runtime: Runtime,
    stop: asyncio.Event | None = None,
) -> Chunk:
    """Fetch ``accounts`` in batches within their budgets and judge what came back."""
    if not accounts:
        return Chunk([], {}, [], [])
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)
    tasks = []
    for platform in sorted({a.platform for a in accounts}):
        members = [a for a in accounts if a.platform == platform]
        adapter = runtime.adapter(platform)
        by_handle = {a.handle: a for a in members}
        targets = [
            Target(a.handle, a.platform_id, runtime.options(a.platform, a.handle)) for a in members
        ]
        for batch in adapter.batches(targets):
            budget = runtime.gate(platform, adapter.budget_key(batch[0]))
            tasks.append(_admitted(adapter, budget, client, batch, by_handle, gate, stop))
    outcomes = [item for group in await asyncio.gather(*tasks) for item in group]
    return _judge(engine, settings, runtime, outcomes)


async def _admitted(
    adapter: Adapter,
    platform_gate: PlatformGate,
    client: httpx.AsyncClient,
    batch: list[Target],
    by_handle: Mapping[str, Pollable],
    in_flight: asyncio.Semaphore,
    stop: asyncio.Event | None = None,
) -> list[Outcome]:
    """Run the batch if the platform's gate admits it now, else defer its accounts."""
    cost = adapter.batch_requests(batch)
    ticket = platform_gate.admit(cost)
    if ticket is None:
        view = platform_gate.view()
        reason = f"{view.state.replace('_', ' ')}" if view.state != "ok" else "request budget spent"
        deferred = Deferred(platform_gate.ready_at(cost), reason)
        now = platform_gate.clock()
        return [(by_handle[t.handle], deferred, (now, 0)) for t in batch]
    return await _poll_batch(
        adapter, platform_gate, ticket, client, batch, by_handle, in_flight, stop
    )


async def _poll_batch(
    adapter: Adapter,
    platform_gate: PlatformGate,
    ticket: Ticket,
    client: httpx.AsyncClient,
    batch: list[Target],
    by_handle: Mapping[str, Pollable],
    in_flight: asyncio.Semaphore,
    stop: asyncio.Event | None = None,
) -> list[Outcome]:
    """Fetch one batch; a failure of the whole request is that failure for every account."""
    clock = platform_gate.clock
    async with in_flight:
        started = clock()
        tick = time.monotonic()
        with platform_gate.using(ticket):
            results = await _fetch(adapter, platform_gate, client, batch, stop)
        elapsed = int((time.monotonic() - tick) * 1000)
    if isinstance(results, Deferred):
        return [(by_handle[t.handle], results, (started, elapsed)) for t in batch]
    results = [screened(r, adapter.name) for r in results]
    answered = {r.handle: r for r in results if isinstance(r, FetchResult)}
    pairs: list[Outcome] = []
    for index, target in enumerate(batch):
        result = answered.get(target.handle) if answered else results[index]
        if result is None:
            result = PlatformError(adapter.name, "no answer for this account in the batch")
        pairs.append((by_handle[target.handle], result, (started, elapsed)))
    return pairs


async def _fetch(
    adapter: Adapter,
    platform_gate: PlatformGate,
    client: httpx.AsyncClient,
    batch: list[Target],
    stop: asyncio.Event | None = None,
) -> Sequence[FetchResult | PlatformError] | Deferred:
    """The adapter's answer for a batch, with the verdict passed on to the breaker."""
    seconds = adapter.retry.batch_seconds(adapter.batch_requests(batch))
    try:
        missing = adapter.missing_credentials()
        if missing:
            raise AuthError(adapter.name, missing)
        results = await within(adapter.fetch(client, batch), seconds, stop)
    except Stopping:
        platform_gate.finished_batch()
        return Deferred(platform_gate.clock(), "the daemon is stopping")
    except Overdue:
        overdue = TimeoutError_(
            adapter.name, f"no complete answer for the batch within {seconds:g}s"
        )
        log.warning("%s batch of %d failed: %s", adapter.name, len(batch), overdue)
        platform_gate.failed(overdue.message)
        return [overdue] * len(batch)
    except RateLimitedError as exc:
        platform_gate.finished_batch()
        if exc.local:
            return Deferred(platform_gate.ready_at(1), "request budget spent")
        log.warning("%s batch of %d rate limited: %s", adapter.name, len(batch), exc)
        return [exc] * len(batch)
    except PlatformError as exc:
        log.warning("%s batch of %d failed: %s", adapter.name, len(batch), exc)
        # Only failures that say the platform is unwell count toward opening the breaker.
        if exc.counts_against_platform:
            platform_gate.failed(exc.message)
        else:
            platform_gate.finished_batch()
        return [exc] * len(batch)
    except Exception as exc:
        # A bug or an answer no rule foresaw: this batch's outcome, never the cycle's.
        handles = ", ".join(t.handle for t in batch)
        log.exception("%s batch failed unexpectedly (accounts: %s)", adapter.name, handles)
        platform_gate.finished_batch()
        problem = f"unexpected {type(exc).__name__} while reading the answer"
        return [ParseError(adapter.name, problem)] * len(batch)
    platform_gate.succeeded()
    return results


def _judge(
    engine: Engine,
    settings: Settings,
    runtime: Runtime,
    outcomes: Sequence[Outcome],
) -> Chunk:
    """The chunk's quality gate, then its rows: snapshots, attempts, next due times, deferrals."""
    redactor = Redactor(runtime.secrets())
    polled = [(a, r, s) for a, r, s in outcomes if not isinstance(r, Deferred)]
    # begin(): the gate may record a platform event; the chunk's rows are stored by the caller.
    with engine.begin() as connection:
        recent = history.recent(connection, [a.id for a, _, _ in polled if a.id is not None])
        observed = [(a, r, s[0]) for a, r, s in polled if isinstance(r, Observation)]
        decisions = decide(connection, settings, observed, recent, runtime.clock())
    records = []
    lines: list[PollResult] = []
    settled = Decision()
    for account, result, started in polled:
        assert not isinstance(result, Deferred)
        decision = decisions.get(account.id or 0, settled)
        schedule = _schedule(settings, runtime, account, started[0])
        record, line = to_record(account, result, started, decision, redactor, schedule)
        records.append(record)
        lines.append(line)
    now = runtime.clock()
    deferred = [(a, r) for a, r, _ in outcomes if isinstance(r, Deferred)]
    due = {a.id or 0: max(r.until, now + MIN_DEFER) for a, r in deferred}
    waiting = [
        PollResult(
            account.platform,
            account.handle,
            "deferred",
            None,
            None,
            None,
            f"deferred until {later.until:%Y-%m-%d %H:%M:%S}Z: {later.reason}",
        )
        for account, later in deferred
    ]
    return Chunk(records, due, lines, waiting)


def _schedule(settings: Settings, runtime: Runtime, account: Pollable, at: datetime) -> Schedule:
    """When the account is due next, given how this poll went (see ``_next_due``)."""

    def schedule(outcome: PollOutcome, quality: Quality) -> datetime | None:
        next_due = _next_due(outcome, runtime.interval(account), runtime, account, at)
        if next_due is not None and quality == Quality.SUSPECT:
            # A suspect count settles sooner if the account is asked again soon.
            next_due = min(next_due, at + settings.recheck_after)
        return next_due

    return schedule


def _next_due(
    outcome: PollOutcome,
    interval: timedelta | None,
    runtime: Runtime,
    account: Pollable,
    at: datetime,
) -> datetime | None:
    """Next poll: one interval on (a little earlier, jittered); sooner after a failure."""
    if interval is None:
        # Accounts no longer in the config are polled on request only.
        return None
    regular = at + interval - runtime.jitter(interval)
    if outcome == PollOutcome.RATE_LIMITED:
        # After a 429, the platform's reset says when, not our interval.
        key = runtime.adapter(account.platform).budget_key(Target(account.handle))
        return max(runtime.gate(account.platform, key).ready_at(1), at + MIN_DEFER)
    if outcome in (PollOutcome.HTTP_ERROR, PollOutcome.TIMEOUT):
        return min(regular, at + RETRY_FAILED_AFTER)
    return regular


async def stream_due(
    *,
    engine: Engine,
    settings: Settings,
    client: httpx.AsyncClient,
    clock: Clock,
    runtime: Runtime | None = None,
    stop: asyncio.Event | None = None,
    limit: int = CLAIM_LIMIT,
) -> AsyncGenerator[list[PollResult], None]:
    """The scheduler's job: claim due accounts ``limit`` at a time, poll them, yield each chunk.

    Memory stays bounded by ``limit`` whatever the number of due accounts (two chunks on
    PostgreSQL); a chunk is stored before its lines are yielded.
    """
    ours = runtime or Runtime.on(engine, settings, clock)
    # A clock stepped back leaves due times far ahead: at most one interval from now.
    pull_back(engine, clock(), ours.interval)

    async def claimed() -> AsyncGenerator[Chunk, None]:
        while stop is None or not stop.is_set():
            due = claim_due(engine, clock(), worker=ours.worker, lease=LEASE, limit=limit)
            yield await _polled(due, engine, settings, client, ours, stop)
            if len(due) < limit:
                break

    # Closed with this generator: a store still running is waited for (``stored``).
    async with aclosing(stored(engine, claimed())) as chunks:
        async for lines in chunks:
            yield lines


async def poll_due(
    *,
    engine: Engine,
    settings: Settings,
    client: httpx.AsyncClient,
    clock: Clock,
    runtime: Runtime | None = None,
    stop: asyncio.Event | None = None,
    limit: int = CLAIM_LIMIT,
) -> list[PollResult]:
    """``stream_due``'s chunks as one list: for callers that poll a bounded number."""
    chunks = stream_due(
        engine=engine,
        settings=settings,
        client=client,
        clock=clock,
        runtime=runtime,
        stop=stop,
        limit=limit,
    )
    return [line async for chunk in chunks for line in chunk]
