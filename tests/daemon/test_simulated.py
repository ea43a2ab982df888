"""The issue's fault table through the simulator on 127.0.0.1, with an injected clock.

Each case injects one fault kind on a platform's real path and runs the daemon's tick: the
outcome recorded, the requests sent, and what the platform's gate concluded are checked.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import ManualClock
from bot.config import load_settings
from bot.daemon.poller import PollResult
from bot.daemon.runtime import Runtime
from bot.daemon.scheduler import tick
from bot.http.client import make_client
from bot.http.retry import RetryPolicy
from bot.store.accounts import sync_accounts
from tests.helpers.daemon import FakeSleep
from tests.helpers.simulator import running_simulator

T0 = datetime(2025, 6, 1, 12, tzinfo=UTC)
TOKEN = "123456:sim-secret"
PATHS = {
    "bluesky": "/xrpc/app.bsky.actor.getProfiles",
    "x": "/2/users/by",
    "mastodon": "/api/v1/accounts/lookup",
    "telegram": f"/bot{TOKEN}/getChat",
    "github": "/users/octocat",
}
HANDLES = {
    "bluesky": "a.bsky.social",
    "x": "DGSN_MAROC",
    "mastodon": "user@sim.social",
    "telegram": "@telegram",
    "github": "octocat",
}


@dataclass(frozen=True)
class Case:
    platform: str
    fault: str
    times: int
    outcome: str  # of the first tick
    requests: int  # to the faulted path during the first tick
    gate_state: str = "ok"


CASES = [
    Case("bluesky", "429", 1, "rate_limited", 1, "rate_limited"),
    Case("x", "429-date", 1, "rate_limited", 1, "rate_limited"),
    Case("mastodon", "429-reset", 1, "rate_limited", 1, "rate_limited"),
    Case("telegram", "429-reset", 1, "rate_limited", 1, "rate_limited"),
    Case("bluesky", "503", 2, "ok", 3),
    Case("x", "503", 3, "http_error", 3),
    Case("bluesky", "truncated", 1, "ok", 2),
    Case("bluesky", "malformed", 1, "parse_error", 1),
    Case("github", "redirect", 1, "http_error", 1),
    Case("telegram", "auth-200", 1, "auth_error", 1),
    Case("x", "hang", 1, "ok", 2),
    Case("bluesky", "slow-drip", 1, "ok", 2),
]


def config(tmp_path: Path, base_url: str, platform: str) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(
        f'[platforms.{platform}]\nbase_url = "{base_url}"\nallow_private_addresses = true\n\n'
        f'[[accounts]]\nplatform = "{platform}"\nhandle = "{HANDLES[platform]}"\n'
    )
    return path


async def first_tick(engine: Engine, tmp_path: Path, case: Case) -> tuple[PollResult, int, str]:
    clock = ManualClock(T0)
    # A hang or a drip outlasts the 0.5 s deadline below.
    async with running_simulator(clock, fault_delay=2.0) as (simulator, base):
        env = {"X_BEARER_TOKEN": TOKEN, "TELEGRAM_BOT_TOKEN": TOKEN}
        settings = load_settings(config(tmp_path, base, case.platform), environ=env)
        with Session(engine) as session:
            sync_accounts(session, settings, clock())
        policy = RetryPolicy(sleep=FakeSleep(clock), deadline=0.5)
        runtime = Runtime(settings, clock, retry=policy, worker="w")
        simulator.inject(PATHS[case.platform], case.fault, times=case.times)  # type: ignore[arg-type]
        async with make_client() as client:
            [result] = await tick(engine, settings, client, runtime)
    requests = simulator.requests[PATHS[case.platform]]
    return result, requests, runtime.views()[case.platform].state


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.platform}-{c.fault}x{c.times}")
def test_fault_table(engine: Engine, tmp_path: Path, case: Case) -> None:
    result, requests, state = asyncio.run(first_tick(engine, tmp_path, case))
    assert (result.outcome, requests, state) == (case.outcome, case.requests, case.gate_state)


async def glitch_run(engine: Engine, kind: str, times: int | None, polls: int = 4) -> list[str]:
    clock = ManualClock(T0)
    async with running_simulator(clock) as (simulator, base):
        from bot.config import AccountSettings, PlatformSettings, Settings

        settings = Settings(
            accounts=(AccountSettings("bluesky", "big.bsky.social"),),
            platforms={
                "bluesky": PlatformSettings("bluesky", base_url=base, allow_private_addresses=True)
            },
            poll_interval=timedelta(hours=1),
        )
        with Session(engine) as session:
            sync_accounts(session, settings, clock())
        runtime = Runtime(settings, clock, retry=RetryPolicy(sleep=FakeSleep(clock)), worker="w")
        outcomes = []
        async with make_client() as client:
            for poll in range(polls):
                if poll == 1:
                    simulator.glitch("bluesky", "big.bsky.social", kind, times=times)  # type: ignore[arg-type]
                [result] = await tick(engine, settings, client, runtime)
                outcomes.append(result.outcome)
                clock.advance(timedelta(hours=1))
    return outcomes


def test_suspect_zero_then_recovery_through_the_simulator(engine: Engine) -> None:
    assert asyncio.run(glitch_run(engine, "zero", 1)) == ["ok", "suspect", "ok", "ok"]
    from tests.daemon.test_faults import qualities

    assert qualities(engine) == ["ok", "suspect", "ok", "ok"]


def test_confirmed_drop_through_the_simulator(engine: Engine) -> None:
    # Hourly polls: the lasting drop stays suspect until it has held bot.confirm_drop_after (6h).
    outcomes = asyncio.run(glitch_run(engine, "drop", None, polls=8))
    assert outcomes == ["ok", *["suspect"] * 6, "ok"]
    from tests.daemon.test_faults import qualities

    assert qualities(engine) == ["ok", "confirmed_drop", *["ok"] * 6]


async def breaker_run(engine: Engine) -> tuple[str, str, str, int]:
    """Six failing batches open the circuit; after the cooldown a probe closes it."""
    clock = ManualClock(T0)
    async with running_simulator(clock) as (simulator, base):
        from bot.config import AccountSettings, PlatformSettings, Settings

        settings = Settings(
            accounts=tuple(AccountSettings("bluesky", f"u{i}.bsky.social") for i in range(150)),
            platforms={
                "bluesky": PlatformSettings("bluesky", base_url=base, allow_private_addresses=True)
            },
            poll_interval=timedelta(hours=6),
        )
        with Session(engine) as session:
            sync_accounts(session, settings, clock())
        runtime = Runtime(settings, clock, retry=RetryPolicy(sleep=FakeSleep(clock)), worker="w")
        path = PATHS["bluesky"]
        simulator.inject(path, "503", times=18)  # 6 batches x 3 attempts
        async with make_client() as client:
            first = {r.outcome for r in await tick(engine, settings, client, runtime)}
            opened = runtime.views()["bluesky"].state
            sent = simulator.requests[path]
            until = runtime.views()["bluesky"].until
            assert until is not None
            clock.advance(max(until - clock(), timedelta(minutes=15)))
            # Half-open: one probe batch goes; it succeeds, the rest follow a second later.
            second = {r.outcome for r in await tick(engine, settings, client, runtime)}
            clock.advance(timedelta(seconds=1))
            third = {r.outcome for r in await tick(engine, settings, client, runtime)}
    joined = [",".join(sorted(outcomes)) for outcomes in (first, second, third)]
    return joined[0], opened, f"{joined[1]}|{joined[2]}", sent


def test_breaker_opens_and_recovers_through_the_simulator(engine: Engine) -> None:
    first, opened, second, sent = asyncio.run(breaker_run(engine))
    assert first == "http_error" and opened == "circuit_open" and sent == 18
    assert second == "deferred,ok|ok"
