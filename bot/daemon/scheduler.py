"""The daemon's wiring: APScheduler 3 runs a tick; due times live in the database, not here."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections import Counter
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import Clock, system_clock
from bot.collector import settle
from bot.config import Settings
from bot.daemon.jobs import drain, every_so_often, guarded
from bot.daemon.metrics import Metrics, serve_metrics
from bot.daemon.outage import DatabaseWatch
from bot.daemon.poller import PollResult, stream_due
from bot.daemon.runtime import JITTER_SHARE, MAX_JITTER, Runtime, dead_workers
from bot.digest.daily import send_due_digests
from bot.http.budget import GateView, RateBudget
from bot.http.client import make_client
from bot.http.redact import Redactor
from bot.intervals import account_interval
from bot.kinds import PollOutcome
from bot.platforms import REGISTRY
from bot.store import health
from bot.store.accounts import scheduled_accounts
from bot.store.attempts import last_attempts
from bot.store.claims import lease_owners, release_leases
from bot.store.lock import daemon_lock
from bot.store.writes import reschedule_idle

log = logging.getLogger(__name__)
# How often the daemon checks whether the daily digest is due (and retries failed channels).
DIGEST_CHECK_SECONDS = 300.0
_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def tick_seconds(settings: Settings) -> float:
    """A few ticks per shortest interval, and one per shortest budget window; 1 s to 30 s."""
    intervals = [settings.interval_for(a) for a in settings.accounts] or [settings.poll_interval]
    shortest = min(intervals, default=timedelta(hours=6))
    # A batch starts only when its budget has room at a tick: a per-second budget (Telegram's
    # 30/s) needs a tick every second to be used, not 30 requests per 30 s tick.
    windows = [
        _budget(settings, name).per_seconds for name in {a.platform for a in settings.accounts}
    ]
    return max(1.0, min(30.0, shortest.total_seconds() / 4, *windows))


def _budget(settings: Settings, platform: str) -> RateBudget:
    """The platform's configured ``rate_limit``, else its adapter's documented budget."""
    return settings.platform(platform).rate_limit or REGISTRY[platform].rate_budget


async def tick(
    engine: Engine,
    settings: Settings,
    client: httpx.AsyncClient,
    runtime: Runtime,
    *,
    metrics: Metrics | None = None,
    stop: asyncio.Event | None = None,
    keep: bool = True,
) -> list[PollResult]:
    """One scheduled run: adopt other workers' pauses, poll what is due, publish health.

    Returns the cycle's lines if ``keep``; the daemon does not keep them: each chunk is counted
    and dropped, so a cycle's memory stays bounded whatever the number of due accounts.
    """
    _adopt_pauses(engine, runtime)
    results: list[PollResult] = []
    tally = Counter[str]()
    chunks = stream_due(
        engine=engine,
        settings=settings,
        client=client,
        clock=runtime.clock,
        runtime=runtime,
        stop=stop,
    )
    # Closed here whatever happens: a chunk still being stored is waited for before the cycle ends.
    async with aclosing(chunks):
        async for chunk in chunks:
            tally.update(_kind(result.outcome) for result in chunk)
            if metrics is not None:
                metrics.observe(chunk, {}, {}, runtime.clock().timestamp())
            if keep:
                results += chunk
    views, counted = _publish(engine, runtime)
    await runtime.after_cycle(engine)
    if metrics is not None:
        metrics.observe((), views, counted, runtime.clock().timestamp())
    if tally:
        polled = tally["ok"] + tally["failed"]
        log.info(
            "polled %d accounts, %d not ok, %d deferred", polled, tally["failed"], tally["deferred"]
        )
    return results


def _kind(outcome: str) -> str:
    """How a cycle's log line counts an outcome: ok, failed (any other), or deferred."""
    return outcome if outcome in (PollOutcome.OK, "deferred") else "failed"


def _adopt_pauses(engine: Engine, runtime: Runtime) -> None:
    """Pause this worker's gates where another worker saw a platform ask for a pause."""
    with engine.connect() as connection:
        pauses = health.shared_pauses(connection, runtime.clock())
    for platform, until in pauses.items():
        for gate in runtime.gates_of(platform) or [runtime.gate(platform)]:
            gate.pause_until(until)


def _publish(
    engine: Engine, runtime: Runtime
) -> tuple[dict[str, GateView], dict[str, tuple[int, int]]]:
    """Store each platform's state that has news; its views and request counts, for metrics."""
    views = runtime.views()
    counted = runtime.take_counts()
    # Ticks come every second with Telegram: write a platform's row only when it has news.
    news = {
        name: view
        for name, view in views.items()
        if view != runtime.saved_views.get(name) or counted.get(name, (0, 0)) != (0, 0)
    }
    if news:
        with engine.begin() as connection:
            health.save_states(
                connection,
                states={name: _state_row(view) for name, view in news.items()},
                counted=counted,
                now=runtime.clock(),
                redact=Redactor(runtime.secrets()),
            )
        runtime.saved_views.update(news)
    return views, counted


def _state_row(view: GateView) -> health.PlatformStateRow:
    """The stored form of a gate's view (its request counts are added apart)."""
    return health.PlatformStateRow(
        state=view.state,
        until=view.until,
        consecutive_failures=view.consecutive_failures,
        last_success_at=view.last_success_at,
        last_failure_at=view.last_failure_at,
        last_error=view.last_error,
    )


async def run_daemon(
    settings: Settings,
    engine: Engine,
    *,
    clock: Clock = system_clock,
    transport: httpx.AsyncBaseTransport | None = None,
    stop: asyncio.Event | None = None,
    runtime: Runtime | None = None,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
) -> None:
    """Poll due accounts until SIGTERM/SIGINT (or ``stop``), then finish the cycle and return."""
    with daemon_lock(engine):
        if engine.dialect.name == "sqlite":
            # The lock makes this the only worker: leases left by a killed run are stale.
            release_leases(engine)
        metrics_at = (metrics_host, metrics_port) if metrics_port is not None else None
        await _run(settings, engine, clock, transport, stop, runtime, metrics_at)


def apply_intervals(engine: Engine, settings: Settings, runtime: Runtime) -> int:
    """At start, the accounts' intervals are the schedule: due one interval after the last poll.

    A shortened interval no longer waits for the due time the old one set, a lengthened one no
    longer polls at it. Only accounts whose last poll went fine are moved: the due time after a
    failure, a 429 or a suspect count is the platform's or a retry's, and stands. A due time
    within the jitter's spread before the interval is already this interval's. Returns how many
    due times moved.
    """
    now = runtime.clock()
    with Session(engine) as session:
        accounts = scheduled_accounts(session, now=now, everything=True)
        attempts = last_attempts(session.connection(), [a.id for a in accounts if a.id], at=now)
    due: dict[int, tuple[datetime, datetime]] = {}
    for account in accounts:
        interval = account_interval(settings, account)
        attempt = attempts.get(account.id or 0)
        if (
            interval is None
            or account.id is None
            or account.next_poll_at is None
            or account.last_polled_at is None
            or attempt is None
            or attempt.outcome != PollOutcome.OK
            or (account.lease_until is not None and account.lease_until > now)
        ):
            continue
        regular = account.last_polled_at + interval
        spread = min(interval * JITTER_SHARE, MAX_JITTER)
        if not regular - spread <= account.next_poll_at <= regular:
            due[account.id] = (account.next_poll_at, regular - runtime.jitter(interval))
    if not due:
        return 0
    # Other workers poll meanwhile: a row claimed or rescheduled since our read stays as it is.
    with engine.begin() as connection:
        return reschedule_idle(connection, due, now)


async def _run(
    settings: Settings,
    engine: Engine,
    clock: Clock,
    transport: httpx.AsyncBaseTransport | None,
    stop: asyncio.Event | None,
    runtime: Runtime | None,
    metrics_at: tuple[str, int] | None,
) -> None:
    """The daemon's body, once it holds the database; ``metrics_at``: (host, port) or None."""
    stop = stop or asyncio.Event()
    runtime = runtime or Runtime.on(engine, settings, clock)
    _release_dead_workers(engine, runtime)
    apply_intervals(engine, settings, runtime)
    metrics = _metrics(settings) if metrics_at is not None else None
    loop = asyncio.get_running_loop()
    for sig in _SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    runner = (
        await serve_metrics(metrics, metrics_at[1], metrics_at[0])
        if metrics and metrics_at and metrics_at[1]
        else None
    )
    _warn_about_channels(settings)
    jobs = _Jobs(engine, settings, runtime, metrics, stop)
    every = tick_seconds(settings)
    async with make_client(transport=transport, user_agent=settings.user_agent) as client:
        scheduler = jobs.scheduler(clock, client, every)
        # The accounts and the jobs live as long as the daemon: later collections skip them.
        settle()
        scheduler.start()
        log.info(
            "daemon started as %s: %d accounts, tick %.0fs%s",
            runtime.worker,
            len(settings.accounts),
            every,
            f", metrics on {metrics_at[0]}:{metrics_at[1]}" if metrics_at else "",
        )
        try:
            await stop.wait()
        finally:
            # Stop claiming work, let the cycle in flight commit, then shut down: shutting down
            # first would cancel it half-way.
            scheduler.pause()
            await jobs.drain()
            scheduler.shutdown(wait=False)
            release_leases(engine, runtime.worker)
            if runner is not None:
                await runner.cleanup()
            for sig in _SIGNALS:
                loop.remove_signal_handler(sig)
    log.info("daemon stopped")


@dataclass
class _Jobs:
    """The daemon's two jobs (a poll tick, the digest check), each never overlapping itself."""

    engine: Engine
    settings: Settings
    runtime: Runtime
    metrics: Metrics | None
    stop: asyncio.Event
    polling: asyncio.Lock = field(default_factory=asyncio.Lock)
    digesting: asyncio.Lock = field(default_factory=asyncio.Lock)
    current: list[asyncio.Task[object]] = field(default_factory=list)  # the tick in flight

    def scheduler(self, clock: Clock, client: httpx.AsyncClient, every: float) -> AsyncIOScheduler:
        """Both jobs on APScheduler, not started: the tick ``every`` seconds."""
        engine, settings, runtime = self.engine, self.settings, self.runtime
        # One watch for both jobs: an outage seen by either holds both back.
        watch = DatabaseWatch(engine, runtime.clock)

        async def poll() -> None:
            await watch.run(
                lambda: tick(
                    engine,
                    settings,
                    client,
                    runtime,
                    metrics=self.metrics,
                    stop=self.stop,
                    keep=False,
                )
            )

        async def send() -> None:
            for result in await send_due_digests(engine, settings, runtime.clock):
                error = f": {result.error}" if result.error else ""
                log.info("digest to %s: %s%s", result.channel, result.status, error)

        async def digests() -> None:
            await watch.run(send)

        return every_so_often(
            clock,
            [
                (
                    "daily_digest",
                    DIGEST_CHECK_SECONDS,
                    guarded(digests, self.digesting, self.stop, []),
                ),
                ("poll_due", every, guarded(poll, self.polling, self.stop, self.current)),
            ],
        )

    async def drain(self) -> None:
        """Let the jobs in flight finish (within the grace period)."""
        await drain(self.polling, self.current)
        await drain(self.digesting, [])


def _release_dead_workers(engine: Engine, runtime: Runtime) -> None:
    """Give up the leases of this host's workers that no longer run.

    A worker killed on this host (kill -9, OOM) is restarted here: its accounts need not wait
    for their leases to run out. Leases of other hosts' workers run out on their own.
    """
    host = runtime.worker.rpartition(":")[0]
    for owner in dead_workers(lease_owners(engine, f"{host}:"), runtime.worker):
        log.info("releasing the leases of %s (no longer running)", owner)
        release_leases(engine, owner)


def _metrics(settings: Settings) -> Metrics:
    """The metrics, with the budgets of the platforms the accounts use."""
    metrics = Metrics()
    used = {account.platform for account in settings.accounts}
    metrics.set_budgets({name: _budget(settings, name) for name in used})
    return metrics


def _warn_about_channels(settings: Settings) -> None:
    """Say at start which BOT_NOTIFY entries Apprise cannot use (they will be disabled)."""
    if not settings.notify:
        return
    from bot.digest.channels import notify_problems

    for problem in notify_problems(settings.notify):
        log.warning("%s", problem)
