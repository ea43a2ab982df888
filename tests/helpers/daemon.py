"""Shared pieces of the daemon tests: a clock-advancing sleep and a runtime that uses it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import ManualClock
from bot.config import Settings
from bot.daemon.poller import PollResult, poll_due
from bot.daemon.runtime import Runtime
from bot.http.client import make_client
from bot.http.retry import RetryPolicy
from bot.store.accounts import sync_accounts


class FakeSleep:
    """Records each wait and moves the manual clock instead of sleeping."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(timedelta(seconds=seconds))


def make_runtime(
    settings: Settings, clock: ManualClock, *, worker: str = "w1", deadline: float = 30.0
) -> tuple[Runtime, FakeSleep]:
    """A runtime whose retries and budget waits advance ``clock``."""
    sleep = FakeSleep(clock)
    policy = RetryPolicy(sleep=sleep, rng=random.Random(7), deadline=deadline)
    return Runtime(settings, clock, retry=policy, rng=random.Random(3), worker=worker), sleep


def cycle(
    engine: Engine,
    runtime: Runtime,
    handler: Callable[[httpx.Request], httpx.Response],
) -> list[PollResult]:
    """Sync the runtime's accounts and run one poll_due over a MockTransport."""
    with Session(engine) as session:
        sync_accounts(session, runtime.settings, runtime.clock())

    async def go() -> list[PollResult]:
        async with make_client(transport=httpx.MockTransport(handler)) as client:
            return await poll_due(
                engine=engine,
                settings=runtime.settings,
                client=client,
                clock=runtime.clock,
                runtime=runtime,
            )

    return asyncio.run(go())
