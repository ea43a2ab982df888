"""Budget use under published rate limits, on a simulated clock.

Each scenario polls more accounts than one platform's budget allows, through the daemon's tick,
against the simulator with its budgets enforced (a request past the budget gets the platform's
429). It prints the requests the bot sent, the share of the budget that represents, and the 429s
the simulator had to serve. Virtual hours take seconds: the clock is advanced, never slept on.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from bot.clock import ManualClock
from bot.config import AccountSettings, PlatformSettings, Secret, Settings
from bot.daemon.runtime import Runtime
from bot.daemon.scheduler import tick, tick_seconds
from bot.http.client import make_client
from bot.http.retry import RetryPolicy
from bot.simulator import Simulator
from bot.store.accounts import sync_accounts
from bot.store.db import make_engine, migrate

T0 = datetime(2025, 6, 2, tzinfo=UTC)
TOKEN = "123456:bench-secret"


@dataclass(frozen=True)
class Scenario:
    """One platform, more accounts than its budget serves, polled for a while."""

    platform: str
    handles: list[str]
    interval: timedelta
    duration: timedelta
    token: bool = False


SCENARIOS = [
    Scenario("github", [f"user{i}" for i in range(150)], timedelta(hours=1), timedelta(hours=3)),
    Scenario(
        "mastodon",
        [f"user{i}@sim.social" for i in range(1500)],
        timedelta(minutes=5),
        timedelta(hours=1),
    ),
    Scenario(
        "x", [f"user_{i}" for i in range(6000)], timedelta(minutes=1), timedelta(hours=1), True
    ),
    Scenario(
        "reddit",
        [f"u/user_{i}" for i in range(300)],
        timedelta(minutes=1),
        timedelta(minutes=30),
        True,
    ),
    Scenario(
        "telegram",
        [f"@channel_{i}" for i in range(300)],
        timedelta(seconds=5),
        timedelta(minutes=5),
        True,
    ),
]


class AdvancingSleep:
    """Short budget waits and backoffs move the simulated clock instead of sleeping."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock

    async def __call__(self, seconds: float) -> None:
        self.clock.advance(timedelta(seconds=seconds))


async def run(scenario: Scenario, database: Path) -> str:
    """Poll the scenario's accounts for its duration; one line of figures."""
    clock = ManualClock(T0)
    simulator = Simulator(clock, enforce_limits=True)
    base = await simulator.start("127.0.0.1", 0)
    token = Secret(TOKEN) if scenario.token else None
    settings = Settings(
        accounts=tuple(AccountSettings(scenario.platform, h) for h in scenario.handles),
        platforms={
            scenario.platform: PlatformSettings(
                scenario.platform, base, token=token, allow_private_addresses=True
            )
        },
        poll_interval=scenario.interval,
    )
    engine = make_engine(f"sqlite:///{database}")
    migrate(engine)
    with Session(engine) as session:
        sync_accounts(session, settings, clock())
    policy = RetryPolicy(sleep=AdvancingSleep(clock), rng=random.Random(1))
    runtime = Runtime(settings, clock, retry=policy, rng=random.Random(2), worker="bench")
    step = timedelta(seconds=tick_seconds(settings))
    polls = deferred = 0
    started = time.perf_counter()
    try:
        async with make_client() as client:
            while clock() - T0 < scenario.duration:
                results = await tick(engine, settings, client, runtime)
                deferred += sum(1 for r in results if r.outcome == "deferred")
                polls += sum(1 for r in results if r.outcome == "ok")
                clock.advance(step)
    finally:
        await simulator.stop()
        engine.dispose()
    wall = time.perf_counter() - started
    limit, window = simulator.budgets()[scenario.platform]
    elapsed = (clock() - T0).total_seconds()
    available = limit * elapsed / window
    sent = sum(g.requests for g in runtime.gates_of(scenario.platform))
    rejected = simulator.rejected[scenario.platform]
    return (
        f"{scenario.platform:9} budget {limit}/{window:g}s, {len(scenario.handles)} accounts "
        f"every {scenario.interval}: {sent} requests in {elapsed / 60:.0f} simulated min = "
        f"{100 * sent / available:.1f}% of the budget, {rejected} x 429, "
        f"{polls} good polls, {deferred} deferrals ({wall:.1f} s wall)"
    )


def main() -> None:
    """Print one line per scenario (all, or those named on the command line)."""
    wanted = set(sys.argv[1:])
    with tempfile.TemporaryDirectory() as tmp:
        for index, scenario in enumerate(SCENARIOS):
            if wanted and scenario.platform not in wanted:
                continue
            print(asyncio.run(run(scenario, Path(tmp) / f"bench{index}.db")), flush=True)


if __name__ == "__main__":
    main()
