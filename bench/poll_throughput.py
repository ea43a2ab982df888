"""Poll-cycle throughput through the simulator on 127.0.0.1: accounts/s and requests per cycle.

Throughput, not politeness: the simulated platforms' budgets and the bot's are raised far above
the real ones so no request waits (bench/rate_limits.py measures the budgets instead).
"""

from __future__ import annotations

import asyncio
import gc
import time
from datetime import UTC, datetime, timedelta

from _common import databases
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import ManualClock
from bot.collector import own_process, settle
from bot.config import AccountSettings, PlatformSettings, Settings
from bot.daemon.poller import poll_due
from bot.http.budget import RateBudget
from bot.http.client import make_client
from bot.simulator import Simulator
from bot.store.accounts import sync_accounts

PER_PLATFORM = 2500
UNLIMITED = RateBudget(requests=10_000_000, per_seconds=1)
CYCLES = 3


async def measure(name: str, engine: Engine) -> None:
    """First cycle (Mastodon lookups) then steady cycles (batched), timed."""
    clock = ManualClock(datetime(2025, 6, 1, tzinfo=UTC))
    simulator = Simulator(clock)
    for simulated in ("mastodon", "bluesky"):
        simulator.platform(simulated).window.limit = UNLIMITED.requests
    base_url = await simulator.start()
    accounts = [AccountSettings("mastodon", f"u{i}@sim.social") for i in range(PER_PLATFORM)]
    accounts += [AccountSettings("bluesky", f"u{i}.bsky.social") for i in range(PER_PLATFORM)]
    settings = Settings(
        platforms={
            n: PlatformSettings(
                n, base_url=base_url, rate_limit=UNLIMITED, allow_private_addresses=True
            )
            for n in ("mastodon", "bluesky")
        },
        accounts=tuple(accounts),
    )
    with Session(engine) as session:
        sync_accounts(session, settings, clock())
    # As the daemon does once started (bot/daemon/scheduler.py): later collections skip all this.
    # The other database's run, in this process before, is collected first so none of it is kept.
    gc.collect()
    own_process()
    settle()
    try:
        async with make_client() as client:
            for cycle in range(CYCLES):
                simulator.reset_counts()
                start = time.perf_counter()
                results = await poll_due(
                    engine=engine, settings=settings, client=client, clock=clock
                )
                seconds = time.perf_counter() - start
                requests = sum(simulator.requests.values())
                kind = "first (lookups)" if cycle == 0 else "steady (batched)"
                print(
                    f"{name:10} {kind:17} {len(results)} accounts, {requests} requests: "
                    f"{seconds:.2f} s, {len(results) / seconds:,.0f} accounts/s"
                )
                clock.advance(timedelta(hours=6))
    finally:
        await simulator.stop()


def main() -> None:
    """Print the figures."""
    with databases() as engines:
        for name, engine in engines:
            asyncio.run(measure(name, engine))


if __name__ == "__main__":
    main()
