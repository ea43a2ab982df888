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
from datetime import timedelta
from pathlib import Path

from _common import T0, AdvancingSleep, Scenario, scenarios, settings_for
from sqlmodel import Session

from bot.clock import ManualClock
from bot.daemon.runtime import Runtime
from bot.daemon.scheduler import tick, tick_seconds
from bot.http.client import make_client
from bot.http.retry import RetryPolicy
from bot.simulator import Simulator
from bot.store.accounts import sync_accounts
from bot.store.db import make_engine, migrate

# (platform, accounts, poll interval, simulated duration): more than each budget serves.
SCENARIOS = scenarios(
    [
        ("github", 150, timedelta(hours=1), timedelta(hours=3)),
        ("mastodon", 1500, timedelta(minutes=5), timedelta(hours=1)),
        ("x", 6000, timedelta(minutes=1), timedelta(hours=1)),
        ("reddit", 300, timedelta(minutes=1), timedelta(minutes=30)),
        ("telegram", 300, timedelta(seconds=5), timedelta(minutes=5)),
    ]
)


async def run(scenario: Scenario, database: Path) -> str:
    """Poll the scenario's accounts for its duration; one line of figures."""
    clock = ManualClock(T0)
    simulator = Simulator(clock, enforce_limits=True)
    base = await simulator.start("127.0.0.1", 0)
    settings = settings_for(scenario, base)
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
