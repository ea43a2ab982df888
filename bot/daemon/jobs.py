"""The daemon's jobs on APScheduler: each every so many seconds, never overlapping itself, and
given a grace period to finish when the daemon stops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock

# The scheduler's name: these lines kept the "logger" field the daemon's JSON logs gave them.
log = logging.getLogger("bot.daemon.scheduler")
# How long a stopping daemon waits for an in-flight cycle before it cancels it.
STOP_GRACE_SECONDS = 10.0


def every_so_often(
    clock: Clock, jobs: list[tuple[str, float, Callable[[], Awaitable[None]]]]
) -> AsyncIOScheduler:
    """APScheduler with each job every so many seconds, the first run now; not started."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    for name, seconds, job in jobs:
        scheduler.add_job(
            job,
            "interval",
            seconds=seconds,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=clock(),
            id=name,
        )
    return scheduler


def guarded(
    body: Callable[[], Awaitable[None]],
    lock: asyncio.Lock,
    stop: asyncio.Event,
    current: list[asyncio.Task[object]],
) -> Callable[[], Awaitable[None]]:
    """A job that never overlaps itself, starts nothing once stopping, and survives errors."""

    async def job() -> None:
        if stop.is_set() or lock.locked():
            return
        async with lock:
            task = asyncio.current_task()
            current[:] = [task] if task is not None else []
            try:
                await body()
            except Exception:
                # One bad run must not end the daemon; the next one tries again.
                log.exception("%s failed", getattr(body, "__name__", "job"))
            finally:
                current.clear()

    return job


async def drain(busy: asyncio.Lock, current: list[asyncio.Task[object]]) -> None:
    """Wait up to the grace period for the cycle in flight, then cancel it: what it has not
    begun to store is dropped (a store already running finishes, bot/daemon/storing.py)."""
    try:
        await asyncio.wait_for(busy.acquire(), timeout=STOP_GRACE_SECONDS)
        busy.release()
    except TimeoutError:
        log.warning("cancelling a poll cycle still in flight after %.0fs", STOP_GRACE_SECONDS)
        for task in current:
            task.cancel()
        for task in current:
            with contextlib.suppress(asyncio.CancelledError):
                await task
