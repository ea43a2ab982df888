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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

import httpx
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import Clock
from bot.config import Settings
from bot.daemon.gating import Decision, decide
from bot.daemon.isolation import Overdue, Stopping, save_cycle, within
from bot.daemon.runtime import Runtime
from bot.errors import AuthError, ParseError, PlatformError, RateLimitedError, TimeoutError_
from bot.http.budget import PlatformGate, Ticket
from bot.http.redact import Redactor
from bot.kinds import AccountStatus, PollOutcome, Quality
from bot.platforms.base import Adapter, FetchResult, Missing, Observation, Target, Unreadable
from bot.store import history
from bot.store.accounts import scheduled_accounts
from bot.store.claims import claim_due, pull_back
from bot.store.models import Account
from bot.store.writes import PollRecord, SnapshotValues

log = logging.getLogger(__name__)
# Requests in flight at once across all platforms; each platform's budget is its gate's job.
MAX_IN_FLIGHT = 8
# A failed poll is tried again this soon (or at its interval, if that is sooner).
RETRY_FAILED_AFTER = timedelta(minutes=15)
# Claimed accounts stay ours this long; a worker that dies gives them up when it runs out.
LEASE = timedelta(minutes=10)
CLAIM_LIMIT = 5000
# A deferred account is not due again before this, so one tick never spins on it.
MIN_DEFER = timedelta(seconds=1)


@dataclass(frozen=True)
class PollResult:
    """One line of ``bot poll`` output."""

    platform: str
    handle: str
    outcome: PollOutcome | Literal["deferred"]
    followers: int | None
    following: int | None
    posts: int | None
    message: str | None
    duration_ms: int = 0


@dataclass(frozen=True)
class Deferred:
    """Not polled this time: the platform's budget or breaker says not before ``until``."""

    until: datetime
    reason: str


Result = FetchResult | PlatformError | Deferred


def select_accounts(
    session: Session,
    now: datetime,
    *,
    keys: Sequence[Account] | None = None,
    platform: str | None = None,
    everything: bool = False,
) -> list[Account]:
    """The accounts ``bot poll`` polls: those named, all scheduled ones, or the due ones."""
    if keys:
        return list(keys)
    return scheduled_accounts(session, now=now, platform=platform, everything=everything)


async def poll_accounts(
    accounts: Sequence[Account],
    *,
    engine: Engine,
    settings: Settings,
    client: httpx.AsyncClient,
    clock: Clock,
    runtime: Runtime | None = None,
    stop: asyncio.Event | None = None,
) -> list[PollResult]:
    """Poll ``accounts`` and store the cycle (one transaction unless a row is refused)."""
    if not accounts:
        return []
    runtime = runtime or Runtime.on(engine, settings, clock)
    options = {(a.platform, a.handle): a.options for a in settings.accounts}
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)
    tasks = []
    for platform in sorted({a.platform for a in accounts}):
        members = [a for a in accounts if a.platform == platform]
        adapter = runtime.adapter(platform)
        by_handle = {a.handle: a for a in members}
        targets = [
            Target(a.handle, a.platform_id, options.get((a.platform, a.handle), {}))
            for a in members
        ]
        for batch in adapter.batches(targets):
            budget = runtime.gate(platform, adapter.budget_key(batch[0]))
            tasks.append(_admitted(adapter, budget, client, batch, by_handle, gate, stop))
    outcomes = [item for group in await asyncio.gather(*tasks) for item in group]
    return _store(engine, settings, runtime, outcomes)


async def _admitted(
    adapter: Adapter,
    platform_gate: PlatformGate,
    client: httpx.AsyncClient,
    batch: list[Target],
    by_handle: dict[str, Account],
    in_flight: asyncio.Semaphore,
    stop: asyncio.Event | None = None,
) -> list[tuple[Account, Result, tuple[datetime, int]]]:
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
    by_handle: dict[str, Account],
    in_flight: asyncio.Semaphore,
    stop: asyncio.Event | None = None,
) -> list[tuple[Account, Result, tuple[datetime, int]]]:
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
    answered = {r.handle: r for r in results if isinstance(r, Observation | Missing | Unreadable)}
    pairs: list[tuple[Account, Result, tuple[datetime, int]]] = []
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


def _store(
    engine: Engine,
    settings: Settings,
    runtime: Runtime,
    outcomes: Sequence[tuple[Account, Result, tuple[datetime, int]]],
) -> list[PollResult]:
    """Write the cycle in one transaction: snapshots, attempts, next due times, deferrals."""
    intervals = {
        settings.identity(a.platform, a.handle): settings.interval_for(a) for a in settings.accounts
    }
    redactor = Redactor(settings.secret_values())
    deferred = {a.id or 0: r for a, r, _ in outcomes if isinstance(r, Deferred)}
    lines: list[PollResult] = []
    # begin(): the gate may record a platform event; the cycle's rows are saved below.
    with engine.begin() as connection:
        ids = [a.id for a, r, _ in outcomes if a.id is not None and not isinstance(r, Deferred)]
        recent = history.recent(connection, ids)
        observed = [(a, r, s[0]) for a, r, s in outcomes if isinstance(r, Observation)]
        decisions = decide(connection, settings, observed, recent, runtime.clock())
    records = []
    for account, result, started in outcomes:
        if isinstance(result, Deferred):
            continue
        interval = intervals.get(settings.identity(account.platform, account.handle))
        decision = decisions.get(account.id or 0, Decision())
        record, line = _record(account, result, started, decision, redactor)
        next_due = _next_due(record, interval, runtime, account, started[0])
        if next_due is not None and record.quality == Quality.SUSPECT:
            # A suspect count settles sooner if the account is asked again soon.
            next_due = min(next_due, started[0] + settings.recheck_after)
        record = replace(record, next_poll_at=next_due)
        records.append(record)
        lines.append(line)
    due = {i: max(d.until, runtime.clock() + MIN_DEFER) for i, d in deferred.items()}
    refused = save_cycle(engine, records, due)
    lines = [
        _refused_line(line, refused[i]) if i in refused else line for i, line in enumerate(lines)
    ]
    for account, result, _ in outcomes:
        if isinstance(result, Deferred):
            message = f"deferred until {result.until:%Y-%m-%d %H:%M:%S}Z: {result.reason}"
            lines.append(
                PollResult(account.platform, account.handle, "deferred", None, None, None, message)
            )
    return lines


def _refused_line(line: PollResult, why: str) -> PollResult:
    """The line of a poll whose result the store refused."""
    return replace(
        line,
        outcome=PollOutcome.PARSE_ERROR,
        followers=None,
        following=None,
        posts=None,
        message=why,
    )


def _next_due(
    record: PollRecord,
    interval: timedelta | None,
    runtime: Runtime,
    account: Account,
    at: datetime,
) -> datetime | None:
    """Next poll: one interval on (a little earlier, jittered); sooner after a failure."""
    if interval is None:
        # Accounts no longer in the config are polled on request only.
        return None
    regular = at + interval - runtime.jitter(interval)
    if record.outcome == PollOutcome.RATE_LIMITED:
        # After a 429, the platform's reset says when, not our interval.
        key = runtime.adapter(account.platform).budget_key(Target(account.handle))
        return max(runtime.gate(account.platform, key).ready_at(1), at + MIN_DEFER)
    if record.outcome in (PollOutcome.HTTP_ERROR, PollOutcome.TIMEOUT):
        return min(regular, at + RETRY_FAILED_AFTER)
    return regular


def _record(
    account: Account,
    result: FetchResult | PlatformError,
    started: tuple[datetime, int],
    decision: Decision,
    redactor: Redactor,
) -> tuple[PollRecord, PollResult]:
    """Turn one account's result into the rows to store and the line to print."""
    at, elapsed = started
    if isinstance(result, Unreadable):
        result = result.error
    base = PollRecord(
        account_id=account.id or 0,
        started_at=at,
        duration_ms=elapsed,
        outcome=PollOutcome.OK,
        status=AccountStatus(account.status),
        next_poll_at=None,
    )
    key = (account.platform, account.handle)
    if isinstance(result, Observation):
        outcome = PollOutcome.SUSPECT if decision.quality == Quality.SUSPECT else PollOutcome.OK
        # A display name the platform did not report this time (None) is not a change.
        changed = result.platform_id != account.platform_id or (
            result.display_name is not None and result.display_name != account.display_name
        )
        record = replace(
            base,
            outcome=outcome,
            status=AccountStatus.ACTIVE,
            values=_values(result),
            quality=decision.quality,
            identity_changed=changed,
            requalified=decision.requalified,
        )
        counts = (result.followers, result.following, result.posts)
        return record, PollResult(*key, outcome, *counts, None, elapsed)
    if isinstance(result, Missing):
        outcome, status = PollOutcome(result.status), AccountStatus(result.status)
        # A platform's "not found" may quote the request, token included.
        record = replace(base, outcome=outcome, status=status, message=redactor(result.message))
        return record, PollResult(*key, outcome, None, None, None, record.message, elapsed)
    status = AccountStatus.AUTH_ERROR if isinstance(result, AuthError) else base.status
    if status == AccountStatus.AUTH_ERROR and not isinstance(result, AuthError):
        status = AccountStatus.ACTIVE  # credentials work again, whatever failed this time
    record = replace(
        base,
        outcome=PollOutcome(result.outcome),
        status=status,
        http_status=result.http_status,
        message=redactor(str(result)),
    )
    return record, PollResult(*key, record.outcome, None, None, None, record.message, elapsed)


def _values(observation: Observation) -> SnapshotValues:
    """What the store keeps of an observation."""
    return SnapshotValues(
        platform_id=observation.platform_id,
        followers=observation.followers,
        following=observation.following,
        posts=observation.posts,
        display_name=observation.display_name,
        extra=observation.extra,
        precision=observation.precision,
    )


async def poll_due(
    *,
    engine: Engine,
    settings: Settings,
    client: httpx.AsyncClient,
    clock: Clock,
    runtime: Runtime | None = None,
    stop: asyncio.Event | None = None,
) -> list[PollResult]:
    """The scheduler's job: claim due accounts (leased to this worker) and poll them."""
    runtime = runtime or Runtime.on(engine, settings, clock)
    results: list[PollResult] = []
    # A clock stepped back leaves due times far ahead: at most one interval from now.
    pull_back(engine, clock(), _intervals(settings), settings.identity)
    while stop is None or not stop.is_set():
        claimed = claim_due(engine, clock(), worker=runtime.worker, lease=LEASE, limit=CLAIM_LIMIT)
        results += await poll_accounts(
            claimed,
            engine=engine,
            settings=settings,
            client=client,
            clock=clock,
            runtime=runtime,
            stop=stop,
        )
        if len(claimed) < CLAIM_LIMIT:
            break
    return results


def _intervals(settings: Settings) -> dict[tuple[str, str], timedelta]:
    """Each configured account's interval, by its identity (``Settings.identity``)."""
    return {
        settings.identity(a.platform, a.handle): settings.interval_for(a) for a in settings.accounts
    }
