"""The poll cycle at scale: 10k and 100k Bluesky accounts, first and steady cycle, both databases.

The simulator runs in a child process (as ``bot simulate``, its budgets raised), so the time, CPU
and memory printed are the bot's: the in-process cycle (``stream_due``, as the daemon runs it),
claimed, polled through 25-profile getProfiles requests on loopback and stored. Peak RSS is the
process's high-water mark so far (``getrusage``): it never goes down, so each size runs in its
own process.

    .venv/bin/python bench/cycle.py                 # 10,000 accounts, SQLite and PostgreSQL
    .venv/bin/python bench/cycle.py 100000 sqlite   # one size, one database
"""

from __future__ import annotations

import asyncio
import gc
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from _common import databases
from _processes import machine, process_cpu, server_cpu
from sqlalchemy import Engine, insert

from bot.clock import ManualClock
from bot.collector import own_process, settle
from bot.config import AccountSettings, PlatformSettings, Settings
from bot.daemon import poller
from bot.daemon.runtime import Runtime
from bot.http.budget import RateBudget
from bot.http.client import make_client
from bot.store.tables import ACCOUNT

UNLIMITED = RateBudget(requests=10_000_000, per_seconds=1)
CYCLES = int(os.environ.get("BENCH_CYCLES", "3"))
# The simulator's process id, for its CPU time: on 2 cores the bot, the simulator and PostgreSQL
# share the machine, and a cycle's wall time is bounded by their CPU together.
SIMULATOR: list[int] = []


# The simulator, its budgets raised: without that its rate headers reach 0 after 3,000 Bluesky
# requests in 5 minutes and the bot, as it should, defers the rest (100,000 accounts are 4,000).
SERVE = """
import asyncio
from bot.clock import system_clock
from bot.simulator import Simulator

async def main():
    simulator = Simulator(system_clock)
    for name in ("bluesky", "mastodon"):
        simulator.platform(name).window.limit = 10_000_000
    print(await simulator.start("127.0.0.1", 0), flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


def start_simulator() -> tuple[subprocess.Popen[str], str]:
    """The simulator in a child process on a free port; its URL from its first line."""
    child = subprocess.Popen([sys.executable, "-c", SERVE], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    line = child.stdout.readline()
    SIMULATOR[:] = [child.pid]
    # Keep reading whatever else it prints, so a full pipe never blocks it.
    threading.Thread(target=child.stdout.read, daemon=True).start()
    return child, line.strip()


def add_accounts(engine: Engine, count: int, now: datetime) -> Settings:
    """``count`` due Bluesky accounts, inserted in bulk (the TOML sync is not what is measured)."""
    rows = [
        {
            "platform": "bluesky",
            "handle": f"u{i}.bsky.social",
            "groups": [],
            # Added as `bot accounts add` adds them: scheduled (an account nobody declared is
            # polled once and then only on request, and the steady cycles would poll nothing).
            "origin": "cli",
            "status": "active",
            "next_poll_at": now,
            "created_at": now,
        }
        for i in range(count)
    ]
    with engine.begin() as connection:
        for start in range(0, count, 5000):
            connection.execute(insert(ACCOUNT), rows[start : start + 5000])
    return tuple(AccountSettings("bluesky", row["handle"]) for row in rows)  # type: ignore[return-value]


async def measure(name: str, engine: Engine, count: int, base_url: str) -> None:
    """First cycle (stable ids learnt) then steady cycles, timed."""
    clock = ManualClock(datetime(2025, 6, 1, tzinfo=UTC))
    accounts = add_accounts(engine, count, clock())
    settings = Settings(
        platforms={
            "bluesky": PlatformSettings(
                "bluesky", base_url=base_url, rate_limit=UNLIMITED, allow_private_addresses=True
            )
        },
        accounts=accounts,  # type: ignore[arg-type]
    )
    runtime = Runtime(settings, clock)
    # As the daemon does once started (bot/daemon/scheduler.py): later collections skip all this.
    # The other database's run, in this process before, is collected first so none of it is kept.
    gc.collect()
    own_process()
    settle()
    async with make_client() as client:
        for cycle in range(CYCLES):
            start, cpu = time.perf_counter(), time.process_time()
            others = _others_cpu()
            polled = ok = 0
            async for chunk in _chunks(
                engine=engine, settings=settings, client=client, clock=clock, runtime=runtime
            ):
                polled += len(chunk)
                ok += sum(1 for r in chunk if r.outcome == "ok")
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            others = tuple(
                after - before for after, before in zip(_others_cpu(), others, strict=True)
            )
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            kind = "first" if cycle == 0 else "steady"
            print(
                f"{name:10} {count:>7} {kind:6} {polled} polled ({ok} ok): {seconds:6.2f} s,"
                f" {polled / seconds:8,.0f} accounts/s, CPU {cpu:6.2f} s, peak RSS {peak:.0f} MB;"
                f" CPU simulator {others[0]:.2f} s"
                + (f", PostgreSQL {others[1]:.2f} s" if name == "postgresql" else ""),
                flush=True,
            )
            clock.advance(timedelta(hours=6))


def _others_cpu() -> tuple[float, float]:
    """CPU seconds so far of the simulator and of PostgreSQL's processes (0 where unknown)."""
    return process_cpu(SIMULATOR[0]) or 0.0, server_cpu() or 0.0


async def _chunks(**options: object) -> AsyncIterator[list[poller.PollResult]]:
    """``stream_due``, or on a tree without it (to measure an older release) ``poll_due``."""
    if hasattr(poller, "stream_due"):
        async for chunk in poller.stream_due(**options):  # type: ignore[arg-type]
            yield chunk
    else:
        yield await poller.poll_due(**options)  # type: ignore[arg-type]


def main() -> None:
    """Print the figures."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    wanted = sys.argv[2:] or ["sqlite", "postgresql"]
    print(f"# bench/cycle.py {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}", flush=True)
    child, base_url = start_simulator()
    try:
        with databases() as engines:
            for name, engine in engines:
                if name in wanted:
                    asyncio.run(measure(name, engine, count, base_url))
    finally:
        child.terminate()
        child.wait()


if __name__ == "__main__":
    main()
