"""The daemon's wiring: APScheduler 3 calls ``poll_due`` on a tick; the work is elsewhere."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, timedelta

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine

from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.http import make_client
from bot.poller import poll_due

log = logging.getLogger(__name__)
# How long a stopping daemon waits for an in-flight cycle before it gives up on it.
STOP_GRACE_SECONDS = 10.0


def tick_seconds(settings: Settings) -> float:
    """Check for due accounts a few times per shortest interval, between 1 s and 30 s."""
    intervals = [settings.interval_for(a) for a in settings.accounts] or [settings.poll_interval]
    shortest = min(intervals, default=timedelta(hours=6))
    return max(1.0, min(30.0, shortest.total_seconds() / 4))


async def run_daemon(
    settings: Settings,
    engine: Engine,
    *,
    clock: Clock = system_clock,
    transport: httpx.AsyncBaseTransport | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Poll due accounts until SIGTERM/SIGINT (or ``stop``), then finish the cycle and return."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    busy = asyncio.Lock()
    async with make_client(transport=transport, user_agent=settings.user_agent) as client:

        async def job() -> None:
            async with busy:
                if stop.is_set():
                    return
                results = await poll_due(
                    engine=engine, settings=settings, client=client, clock=clock
                )
                if results:
                    failed = sum(1 for r in results if r.outcome != "ok")
                    log.info("polled %d accounts, %d not ok", len(results), failed)

        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            job,
            "interval",
            seconds=tick_seconds(settings),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=clock(),
            id="poll_due",
        )
        scheduler.start()
        log.info(
            "daemon started: %d accounts, tick %.0fs",
            len(settings.accounts),
            tick_seconds(settings),
        )
        try:
            await stop.wait()
        finally:
            # Stop claiming work, let the cycle in flight commit, then shut down: shutting down
            # first would cancel it half-way.
            scheduler.pause()
            try:
                await asyncio.wait_for(busy.acquire(), timeout=STOP_GRACE_SECONDS)
            except TimeoutError:
                log.warning("stopping with a poll cycle still in flight")
            scheduler.shutdown(wait=False)
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
    log.info("daemon stopped")
