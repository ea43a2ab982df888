"""Three workers on PostgreSQL sharing each platform's budget, on a simulated clock.

Each scenario gives one platform three times the demand its published budget serves, and three
workers (each its own engine, HTTP client and runtime, as three `bot run` processes would have)
tick together against the simulator with every budget enforced (a request past the budget gets
the platform's 429). The workers share one budget per platform through the rate_budget table
(bot/daemon/ledger.py). It prints the requests the three sent together, the share of the
budget that is, each worker's part and the 429s the simulator had to serve. Virtual hours take
minutes: the clock is advanced, never slept on.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from datetime import timedelta

from _common import T0, AdvancingSleep, Scenario, scenarios, settings_for
from _processes import postgres_url
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import ManualClock
from bot.daemon.ledger import DatabaseLedger
from bot.daemon.runtime import Runtime
from bot.daemon.scheduler import tick, tick_seconds
from bot.http.client import make_client
from bot.http.retry import RetryPolicy
from bot.simulator import Simulator
from bot.store.accounts import sync_accounts
from bot.store.db import make_engine, migrate

WORKERS = 3

# (platform, accounts, poll interval, simulated duration): three times what each budget serves.
SCENARIOS = scenarios(
    [
        # 60 / hour, one account a request: 180 accounts an hour.
        ("github", 180, timedelta(hours=1), timedelta(hours=3)),
        # 300 / 15 min, 100 accounts a request: 6,000 accounts every minute ask 900 requests.
        ("x", 6000, timedelta(minutes=1), timedelta(hours=1)),
        # 1,000 / 10 min, one user a request: 300 users a minute ask 3,000.
        ("reddit", 300, timedelta(minutes=1), timedelta(minutes=30)),
        # 30 / s, one chat a request: 450 chats every 5 s ask 90 a second.
        ("telegram", 450, timedelta(seconds=5), timedelta(minutes=2)),
        # 300 / 5 min on one instance: 2,700 new accounts (one lookup each) in 15 minutes ask 2,700.
        ("mastodon", 2700, timedelta(minutes=5), timedelta(minutes=15)),
    ]
)


async def run(scenario: Scenario) -> str:
    """Poll the scenario's accounts with three workers for its duration; one line of figures."""
    clock = ManualClock(T0)
    simulator = Simulator(clock, enforce_limits=True)
    base = await simulator.start("127.0.0.1", 0)
    settings = settings_for(scenario, base)
    with postgres_url() as url:
        engines: list[Engine] = [make_engine(url) for _ in range(WORKERS)]
        migrate(engines[0])
        with Session(engines[0]) as session:
            sync_accounts(session, settings, clock())
        runtimes = [
            Runtime(
                settings,
                clock,
                retry=RetryPolicy(sleep=AdvancingSleep(clock), rng=random.Random(i)),
                rng=random.Random(10 + i),
                worker=f"bench-{i}",
                ledger=DatabaseLedger(engine),
            )
            for i, engine in enumerate(engines)
        ]
        step = timedelta(seconds=tick_seconds(settings))
        started = time.perf_counter()
        try:
            clients = [make_client() for _ in range(WORKERS)]
            try:
                workers = list(zip(engines, clients, runtimes, strict=True))
                shuffle = random.Random(7)
                while clock() - T0 < scenario.duration:
                    # Whoever ticks first claims what is due: as with processes, any may.
                    shuffle.shuffle(workers)
                    await asyncio.gather(*(tick(e, settings, c, r) for e, c, r in workers))
                    clock.advance(step)
            finally:
                for client in clients:
                    await client.aclose()
        finally:
            await simulator.stop()
            for engine in engines:
                engine.dispose()
    wall = time.perf_counter() - started
    limit, window = simulator.budgets()[scenario.platform]
    elapsed = (clock() - T0).total_seconds()
    available = limit * elapsed / window
    parts = [sum(g.requests for g in r.gates_of(scenario.platform)) for r in runtimes]
    sent = sum(parts)
    rejected = simulator.rejected[scenario.platform]
    return (
        f"{scenario.platform:9} budget {limit}/{window:g}s, {len(scenario.handles)} accounts "
        f"every {scenario.interval} (3x the budget), {WORKERS} workers: {sent} requests "
        f"({' + '.join(map(str, parts))}) in {elapsed / 60:.0f} simulated min = "
        f"{100 * sent / available:.1f}% of the budget, {rejected} x 429 ({wall:.1f} s wall)"
    )


def main() -> None:
    """Print one line per scenario (all, or those named on the command line)."""
    wanted = set(sys.argv[1:])
    for scenario in SCENARIOS:
        if wanted and scenario.platform not in wanted:
            continue
        print(asyncio.run(run(scenario)), flush=True)


if __name__ == "__main__":
    main()
