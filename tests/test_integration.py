"""The real poll path against the simulator on 127.0.0.1, with an injected clock."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from bot.clock import ManualClock
from bot.config import AccountSettings, PlatformSettings, Settings
from bot.daemon.poller import PollResult, poll_due
from bot.daemon.scheduler import run_daemon, tick_seconds
from bot.demo import run_demo
from bot.http.budget import RateBudget
from bot.http.client import make_client
from bot.store.accounts import sync_accounts
from bot.store.db import make_engine, migrate
from bot.store.models import Account, Snapshot
from tests.helpers.settings import settings_for
from tests.helpers.simulator import running_simulator

T0 = datetime(2025, 6, 1, tzinfo=UTC)
MASTODON_BATCH = "/api/v1/accounts"
MASTODON_LOOKUP = "/api/v1/accounts/lookup"
PROFILES = "/xrpc/app.bsky.actor.getProfiles"


def simulated_settings(base_url: str, mastodon: int, bluesky: int) -> Settings:
    accounts = [AccountSettings("mastodon", f"user{i}@sim.social") for i in range(mastodon)]
    accounts += [AccountSettings("bluesky", f"user{i}.bsky.social") for i in range(bluesky)]
    return settings_for(accounts=accounts, base_url=base_url, poll_interval=timedelta(hours=6))


async def _cycles(
    engine: Engine, clock: ManualClock, mastodon: int, bluesky: int, cycles: int
) -> tuple[list[list[PollResult]], list[dict[str, int]]]:
    async with running_simulator(clock) as (simulator, base_url):
        settings = simulated_settings(base_url, mastodon, bluesky)
        with Session(engine) as session:
            sync_accounts(session, settings, clock())
        results, requests = [], []
        async with make_client() as client:
            for _ in range(cycles):
                simulator.reset_counts()
                results.append(
                    await poll_due(engine=engine, settings=settings, client=client, clock=clock)
                )
                requests.append(dict(simulator.requests))
                clock.advance(timedelta(hours=6))
    return results, requests


@pytest.mark.slow
def test_one_cycle_of_1000_accounts_stores_1000_snapshots(engine: Engine) -> None:
    clock = ManualClock(T0)
    # 250 Mastodon lookups fit the instance's 300 per 5 minutes; 750 Bluesky actors are 30 calls.
    results, requests = asyncio.run(_cycles(engine, clock, 250, 750, 2))
    first, second = results
    assert len(first) == 1000 and all(r.outcome == "ok" for r in first)
    assert requests[0][PROFILES] == 30  # 750 Bluesky actors, 25 per request
    assert requests[0][MASTODON_LOOKUP] == 250  # ids are learnt once per account
    assert requests[1][MASTODON_BATCH] == 7  # then 40 ids per request
    assert MASTODON_LOOKUP not in requests[1]
    assert len(second) == 1000 and all(r.outcome == "ok" for r in second)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Snapshot)).scalar_one() == 2000


def test_more_lookups_than_the_budget_defer_the_rest(engine: Engine) -> None:
    """500 fresh Mastodon accounts need 500 lookups; the instance allows 300 per 5 minutes."""
    clock = ManualClock(T0)
    results, requests = asyncio.run(_cycles(engine, clock, 500, 0, 1))
    outcomes = [r.outcome for r in results[0]]
    assert set(outcomes) <= {"ok", "deferred"} and "deferred" in outcomes
    assert requests[0][MASTODON_LOOKUP] <= 300  # never past the instance's budget: no 429


def test_sixty_bluesky_accounts_through_the_simulator_take_three_requests(engine: Engine) -> None:
    _, requests = asyncio.run(_cycles(engine, ManualClock(T0), 0, 60, 1))
    assert requests[0] == {PROFILES: 3}


def test_counters_grow_with_the_simulated_clock(engine: Engine) -> None:
    results, _ = asyncio.run(_cycles(engine, ManualClock(T0), 1, 1, 8))
    followers = [r.followers for cycle in results for r in cycle if r.platform == "bluesky"]
    assert len(followers) == 8
    assert followers[-1] is not None and followers[0] is not None and followers[-1] > followers[0]


def test_missing_and_suspended_handles_become_statuses(engine: Engine) -> None:
    async def go() -> list[PollResult]:
        clock = ManualClock(T0)
        async with running_simulator(clock) as (_simulator, base_url):
            settings = Settings(
                platforms={
                    n: PlatformSettings(n, base_url=base_url, allow_private_addresses=True)
                    for n in ("mastodon", "bluesky")
                },
                accounts=(
                    AccountSettings("mastodon", "missing-one@sim.social"),
                    AccountSettings("mastodon", "suspended-one@sim.social"),
                    AccountSettings("bluesky", "missing-two.bsky.social"),
                    AccountSettings("bluesky", "suspended-two.bsky.social"),
                ),
            )
            with Session(engine) as session:
                sync_accounts(session, settings, clock())
            async with make_client() as client:
                return await poll_due(engine=engine, settings=settings, client=client, clock=clock)

    outcomes = {r.handle: r.outcome for r in asyncio.run(go())}
    assert outcomes == {
        "missing-one@sim.social": "not_found",
        "suspended-one@sim.social": "suspended",
        "missing-two.bsky.social": "not_found",
        "suspended-two.bsky.social": "suspended",
    }
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Snapshot)).scalar_one() == 0


def test_daemon_polls_then_stops_cleanly(engine: Engine) -> None:
    stop = asyncio.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        stop.set()  # one cycle is enough: ask the daemon to stop while it is busy
        actors = request.url.params.get_list("actors")
        return httpx.Response(
            200,
            json={
                "profiles": [
                    {"did": f"did:plc:{i:024d}", "handle": a, "followersCount": 10}
                    for i, a in enumerate(actors)
                ]
            },
        )

    settings = Settings(accounts=(AccountSettings("bluesky", "a.bsky.social"),))
    with Session(engine) as session:
        sync_accounts(session, settings, T0)

    async def go() -> None:
        await asyncio.wait_for(
            run_daemon(
                settings,
                engine,
                clock=ManualClock(T0),
                transport=httpx.MockTransport(handler),
                stop=stop,
            ),
            timeout=30,
        )

    asyncio.run(go())
    with Session(engine) as session:
        account = session.exec(select(Account)).one()  # type: ignore[call-overload]
        assert account[0].last_polled_at == T0
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Snapshot)).scalar_one() == 1


def test_tick_follows_the_shortest_interval() -> None:
    fast = Settings(accounts=(AccountSettings("bluesky", "a.b", interval=timedelta(seconds=20)),))
    assert tick_seconds(fast) == 5.0
    assert tick_seconds(Settings()) == 30.0


def test_tick_follows_the_shortest_budget_window() -> None:
    telegram = Settings(
        accounts=(AccountSettings("telegram", "@a"),),
        platforms={"telegram": PlatformSettings("telegram")},
    )
    assert tick_seconds(telegram) == 1.0  # 30 requests per second
    limited = Settings(
        accounts=(AccountSettings("bluesky", "a.b"),),
        platforms={"bluesky": PlatformSettings("bluesky", rate_limit=RateBudget(10, 5))},
    )
    assert tick_seconds(limited) == 5.0


@pytest.mark.slow
def test_demo_runs_offline_and_prints_a_report(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    migrate(engine)
    out = io.StringIO()
    asyncio.run(run_demo(engine, days=100, out=out))
    text = out.getvalue()
    assert "Annual report 2025" in text and "Growth over 365d" in text
    assert "Growth digest for Thursday 1 January 2026" in text  # the last day's digest
    assert "not_found" in text  # the demo's missing account is a status, not zeros
    with engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(Snapshot)).scalar_one()
    assert stored == 6 * 201  # six live accounts, every 12 h for 100 days, ends included
    again = io.StringIO()
    asyncio.run(run_demo(engine, days=100, out=again))  # a re-run replays, adding nothing
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Snapshot)).scalar_one() == stored
    # Simulated ids are stable: a new simulator still knows every account the first one served.
    assert again.getvalue().count("not_found") == text.count("not_found")
    report = text[text.index("Annual report 2025") :].split("\n\n")[0]
    assert report in again.getvalue()
