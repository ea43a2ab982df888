"""One poll cycle: pick due accounts, fetch them in batches, assess, store, reschedule."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.config import Settings
from bot.errors import AuthError, PlatformError
from bot.platforms import REGISTRY
from bot.platforms.base import Adapter, FetchResult, Missing, Observation, Target
from bot.quality import assess
from bot.redact import Redactor
from bot.store import history
from bot.store.models import Account
from bot.store.writes import PollRecord, save_poll_records

log = logging.getLogger(__name__)
# Requests in flight at once across all platforms; the per-platform budget is the daemon's job.
MAX_IN_FLIGHT = 8


@dataclass(frozen=True)
class PollResult:
    """One line of ``bot poll`` output."""

    platform: str
    handle: str
    outcome: str
    followers: int | None
    following: int | None
    posts: int | None
    message: str | None


def select_accounts(
    session: Session,
    now: datetime,
    *,
    keys: Sequence[Account] | None = None,
    platform: str | None = None,
    everything: bool = False,
) -> list[Account]:
    """The accounts this cycle polls: those named, all scheduled ones, or the due ones."""
    if keys:
        return list(keys)
    statement = select(Account).where(col(Account.next_poll_at).is_not(None))
    if not everything:
        statement = statement.where(col(Account.next_poll_at) <= now)
    if platform:
        statement = statement.where(Account.platform == platform)
    statement = statement.where(Account.status != "paused").order_by(col(Account.id))
    return list(session.exec(statement).all())


def build_adapter(settings: Settings, platform: str) -> Adapter:
    """An adapter configured from the settings of its platform."""
    entry = settings.platform(platform)
    token = entry.token.reveal() if entry.token else None
    return REGISTRY[platform](base_url=entry.base_url, token=token, options=entry.options)


async def poll_accounts(
    accounts: Sequence[Account],
    *,
    engine: Engine,
    settings: Settings,
    client: httpx.AsyncClient,
    clock: Clock,
) -> list[PollResult]:
    """Poll ``accounts`` and store everything in one transaction."""
    if not accounts:
        return []
    intervals = {(a.platform, a.handle): settings.interval_for(a) for a in settings.accounts}
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)
    tasks = []
    options = {(a.platform, a.handle): a.options for a in settings.accounts}
    for platform in sorted({a.platform for a in accounts}):
        members = [a for a in accounts if a.platform == platform]
        adapter = build_adapter(settings, platform)
        by_handle = {a.handle: a for a in members}
        targets = [
            Target(a.handle, a.platform_id, options.get((a.platform, a.handle), {}))
            for a in members
        ]
        for batch in adapter.batches(targets):
            tasks.append(_poll_batch(adapter, client, batch, by_handle, clock, gate))
    outcomes = [item for group in await asyncio.gather(*tasks) for item in group]
    with engine.begin() as connection:
        previous = history.latest(connection, [a.id for a, _, _ in outcomes if a.id is not None])
        redactor = Redactor(settings.secret_values())
        records = [
            _record(account, result, started, intervals, previous.get(account.id or 0), redactor)
            for account, result, started in outcomes
        ]
        save_poll_records(connection, [r for r, _ in records])
    return [line for _, line in records]


async def _poll_batch(
    adapter: Adapter,
    client: httpx.AsyncClient,
    batch: list[Target],
    by_handle: dict[str, Account],
    clock: Clock,
    gate: asyncio.Semaphore,
) -> list[tuple[Account, FetchResult | PlatformError, tuple[datetime, int]]]:
    """Fetch one batch; a failure of the whole request is that failure for every account."""
    async with gate:
        started = clock()
        tick = time.monotonic()
        try:
            missing = adapter.missing_credentials()
            if missing:
                raise AuthError(adapter.name, missing)
            results: Sequence[FetchResult | PlatformError] = await adapter.fetch(client, batch)
        except PlatformError as exc:
            log.warning("%s batch of %d failed: %s", adapter.name, len(batch), exc)
            results = [exc] * len(batch)
        elapsed = int((time.monotonic() - tick) * 1000)
    answered = {r.handle: r for r in results if isinstance(r, Observation | Missing)}
    pairs = []
    for index, target in enumerate(batch):
        result = answered.get(target.handle) if answered else results[index]
        if result is None:
            result = PlatformError(adapter.name, "no answer for this account in the batch")
        pairs.append((by_handle[target.handle], result, (started, elapsed)))
    return pairs


def _record(
    account: Account,
    result: FetchResult | PlatformError,
    started: tuple[datetime, int],
    intervals: dict[tuple[str, str], timedelta],
    previous: history.SnapshotRow | None,
    redactor: Redactor,
) -> tuple[PollRecord, PollResult]:
    """Turn one account's result into the rows to store and the line to print."""
    at, elapsed = started
    interval = intervals.get((account.platform, account.handle))
    base = PollRecord(
        account_id=account.id or 0,
        started_at=at,
        duration_ms=elapsed,
        outcome="ok",
        status=account.status,
        # Accounts no longer in the config are polled on request only.
        next_poll_at=at + interval if interval else None,
    )
    key = (account.platform, account.handle)
    if isinstance(result, Observation):
        quality = assess(previous.point() if previous else None, result)
        outcome = "ok" if quality == "ok" else "suspect"
        # A display name the platform did not report this time (None) is not a change.
        changed = result.platform_id != account.platform_id or (
            result.display_name is not None and result.display_name != account.display_name
        )
        record = replace(
            base,
            outcome=outcome,
            status="active",
            observation=result,
            quality=quality,
            identity_changed=changed,
        )
        counts = (result.followers, result.following, result.posts)
        return record, PollResult(*key, outcome, *counts, None)
    if isinstance(result, Missing):
        record = replace(base, outcome=result.status, status=result.status, message=result.message)
        return record, PollResult(*key, result.status, None, None, None, result.message)
    status = "auth_error" if isinstance(result, AuthError) else account.status
    if status == "auth_error" and not isinstance(result, AuthError):
        status = "active"  # credentials work again, whatever failed this time
    record = replace(
        base,
        outcome=result.outcome,
        status=status,
        http_status=result.http_status,
        message=redactor(str(result)),
    )
    return record, PollResult(*key, result.outcome, None, None, None, record.message)


async def poll_due(
    *, engine: Engine, settings: Settings, client: httpx.AsyncClient, clock: Clock
) -> list[PollResult]:
    """The scheduler's job: poll every account whose time has come."""
    with Session(engine) as session:
        accounts = select_accounts(session, clock())
    return await poll_accounts(
        accounts, engine=engine, settings=settings, client=client, clock=clock
    )
