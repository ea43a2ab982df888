"""Shared set-up for the in-process benchmarks: migrated databases and simulated-clock scenarios."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

# The schema helper lives with the process benchmarks, which must not import bot.
from _processes import PG_URL as PG_URL
from _processes import postgres_url
from sqlalchemy import Engine

from bot.clock import ManualClock
from bot.config import AccountSettings, PlatformSettings, Secret, Settings
from bot.store.db import make_engine, migrate

T0 = datetime(2025, 6, 2, tzinfo=UTC)  # where a scenario's simulated clock starts
TOKEN = "123456:bench-secret"
# A valid handle per platform and index, and the platforms whose API wants a token.
HANDLES = {
    "github": "user{}",
    "mastodon": "user{}@sim.social",
    "x": "user_{}",
    "reddit": "u/user_{}",
    "telegram": "@channel_{}",
}
TOKENED = frozenset(("x", "reddit", "telegram"))


@contextmanager
def databases() -> Iterator[list[tuple[str, Engine]]]:
    """Yield [("sqlite", engine), ("postgresql", engine)], cleaned up afterwards."""
    with tempfile.TemporaryDirectory() as tmp, postgres_url() as url:
        sqlite = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        postgres = make_engine(url)
        for engine in (sqlite, postgres):
            migrate(engine)
        try:
            yield [("sqlite", sqlite), ("postgresql", postgres)]
        finally:
            sqlite.dispose()
            postgres.dispose()


def median_seconds(action: Callable[[], object], runs: int = 5) -> float:
    """The median wall time of ``runs`` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@dataclass(frozen=True)
class Scenario:
    """One platform's accounts, polled every ``interval`` for ``duration`` of simulated time."""

    platform: str
    handles: list[str]
    interval: timedelta
    duration: timedelta
    token: bool = False


def scenarios(plan: Iterable[tuple[str, int, timedelta, timedelta]]) -> list[Scenario]:
    """A scenario per (platform, accounts, interval, duration), its handles and token made up."""
    return [
        Scenario(
            platform,
            [HANDLES[platform].format(i) for i in range(accounts)],
            interval,
            duration,
            platform in TOKENED,
        )
        for platform, accounts, interval, duration in plan
    ]


def settings_for(scenario: Scenario, base: str) -> Settings:
    """The scenario's config, its platform pointed at the simulator at ``base``."""
    token = Secret(TOKEN) if scenario.token else None
    return Settings(
        accounts=tuple(AccountSettings(scenario.platform, h) for h in scenario.handles),
        platforms={
            scenario.platform: PlatformSettings(
                scenario.platform, base, token=token, allow_private_addresses=True
            )
        },
        poll_interval=scenario.interval,
    )


class AdvancingSleep:
    """Short budget waits and backoffs move the simulated clock instead of sleeping."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock

    async def __call__(self, seconds: float) -> None:
        self.clock.advance(timedelta(seconds=seconds))
