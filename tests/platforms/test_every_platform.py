"""Every registered platform polled together through one simulator, from a config file."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from bot.clock import ManualClock
from bot.config import Settings, load_settings
from bot.daemon.poller import PollResult, poll_due
from bot.http.client import make_client
from bot.platforms import ADAPTERS, REGISTRY
from bot.store.accounts import sync_accounts
from bot.store.models import Snapshot
from tests.helpers.simulator import running_simulator

T0 = datetime(2025, 6, 1, tzinfo=UTC)
# Per platform: the extra lines its account or platform table needs.
ACCOUNT_EXTRA = {
    "json": 'options = { url = "https://stats.example.org/json/forum", '
    'followers = "/data/follower_count", posts = "/data/video_count", id = "/id" }',
}
PLATFORM_EXTRA = {"instagram": 'ig_user_id = "17841400000000001"'}
SECRET = "123456:sim-secret"  # shaped like a Telegram bot token; a pair for OAuth apps


def write_config(path: Path, base_url: str) -> Path:
    """A config polling each platform's example handle on the simulator."""
    lines = ["[bot]", 'poll_interval = "1h"', ""]
    for adapter in ADAPTERS:
        lines += [f"[platforms.{adapter.name}]", f'base_url = "{base_url}"']
        lines += ["allow_private_addresses = true"]
        lines += [PLATFORM_EXTRA.get(adapter.name, ""), ""]
    for adapter in ADAPTERS:
        lines += ["[[accounts]]", f'platform = "{adapter.name}"']
        lines += [f'handle = "{adapter.example_handle}"', ACCOUNT_EXTRA.get(adapter.name, ""), ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def secrets() -> dict[str, str]:
    """Every platform's secret variable, set."""
    return {a.token_env: SECRET for a in ADAPTERS if a.token_env}


async def two_cycles(
    engine: Engine, tmp_path: Path
) -> tuple[list[list[PollResult]], Settings, dict[str, str]]:
    clock = ManualClock(T0)
    async with running_simulator(clock) as (_simulator, base_url):
        settings = load_settings(write_config(tmp_path / "all.toml", base_url), environ=secrets())
        with Session(engine) as session:
            sync_accounts(session, settings, clock())
        cycles = []
        async with make_client() as client:
            for _ in range(2):
                cycles.append(
                    await poll_due(engine=engine, settings=settings, client=client, clock=clock)
                )
                clock.advance(timedelta(hours=1))
            # Reddit's /api/info and Mastodon's /api/v1 share a prefix: each keeps its headers.
            async with httpx.AsyncClient(base_url=base_url) as raw:
                reddit = await raw.get("/api/info", params={"id": "t5_2qh0y"})
                mastodon = await raw.get("/api/v1/accounts/lookup", params={"acct": "a"})
            headers = {"reddit": reddit.headers, "mastodon": mastodon.headers}
    return cycles, settings, {k: ",".join(sorted(v)) for k, v in headers.items()}


def test_every_platform_polls_through_one_simulator(engine: Engine, tmp_path: Path) -> None:
    cycles, settings, headers = asyncio.run(two_cycles(engine, tmp_path))
    assert {a.platform for a in settings.accounts} == set(REGISTRY)
    for cycle in cycles:
        outcomes = {r.platform: r.outcome for r in cycle}
        assert outcomes == dict.fromkeys(REGISTRY, "ok"), [r.message for r in cycle if r.message]
        assert all(r.followers is not None and r.followers > 0 for r in cycle)
    first = {r.platform: r.followers for r in cycles[0]}
    second = {r.platform: r.followers for r in cycles[1]}
    assert any(second[name] != first[name] for name in REGISTRY)  # the counters moved
    with engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(Snapshot)).scalar_one()
    assert stored == 2 * len(REGISTRY)
    assert "x-ratelimit-used" in headers["reddit"] and "x-ratelimit-used" not in headers["mastodon"]


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
def test_example_handles_are_valid(adapter: type) -> None:
    assert REGISTRY[adapter.name].normalize_handle(adapter.example_handle)
