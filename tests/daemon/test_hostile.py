"""Issue 10 acceptance: one hostile account per platform for 10 cycles; the others all stored.

The daemon's own tick runs in process against the simulator on 127.0.0.1 with an injected
clock. Each platform watches its example account and one account whose answer is hostile, a
different kind on each platform (bot/simulator/hostile.py).
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from bot.clock import ManualClock
from bot.config import load_settings
from bot.daemon.runtime import Runtime
from bot.daemon.scheduler import tick
from bot.http.client import make_client
from bot.http.retry import RetryPolicy
from bot.platforms import ADAPTERS, REGISTRY
from bot.simulator.hostile import HOSTILE_KINDS, HostileKind
from bot.store.accounts import sync_accounts
from bot.store.models import Account, PollAttempt, Snapshot
from tests.helpers.daemon import FakeSleep
from tests.helpers.simulator import running_simulator

T0 = datetime(2025, 6, 1, tzinfo=UTC)
SECRET = "123456:sim-secret"
CYCLES = 10
# Platform: (the hostile account's handle, the simulator's name for it, its kind). Kinds that
# spoil a whole answer go to platforms that ask for one account per request.
HOSTILE: dict[str, tuple[str, str, HostileKind]] = {
    "mastodon": ("hostile@mastodon.social", "hostile@mastodon.social", "over-range"),
    "bluesky": ("hostile.bsky.app", "hostile.bsky.app", "non-ascii-digits"),
    "x": ("HostileOne", "HostileOne", "wrong-type"),
    "facebook": ("hostile.page", "hostile.page", "control-chars"),
    "youtube": ("@HostileChannel", "@HostileChannel", "markup"),
    "reddit": ("r/hostile", "r/hostile", "nested"),
    "twitch": ("hostileone", "hostileone", "object"),
    "json": ("hostile-source", "hostile", "float"),
    "github": ("hostile", "hostile", "deep-nesting"),
    "telegram": ("@hostilechan", "@hostilechan", "huge-number"),
    "instagram": ("hostile", "hostile", "oversize"),
}
JSON_OPTIONS = (
    'options = {{ url = "https://stats.example.org/json/{name}", '
    'followers = "/data/follower_count", posts = "/data/video_count", id = "/id" }}'
)


def write_config(path: Path, base_url: str) -> Path:
    lines = ["[bot]", 'poll_interval = "1h"', ""]
    for adapter in ADAPTERS:
        lines += [f"[platforms.{adapter.name}]", f'base_url = "{base_url}"']
        lines += ["allow_private_addresses = true"]
        if adapter.name == "instagram":
            lines += ['ig_user_id = "17841400000000001"']
        lines += [""]
    for adapter in ADAPTERS:
        hostile, served, _kind = HOSTILE[adapter.name]
        for handle, name in ((adapter.example_handle, "forum"), (hostile, served)):
            lines += ["[[accounts]]", f'platform = "{adapter.name}"', f'handle = "{handle}"']
            if adapter.name == "json":
                lines += [JSON_OPTIONS.format(name=name)]
            lines += [""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


async def run(engine: Engine, tmp_path: Path) -> None:
    clock = ManualClock(T0)
    async with running_simulator(clock) as (simulator, base_url):
        for platform, (_handle, served, kind) in HOSTILE.items():
            simulator.hostile(platform, served, kind)
        environ = {a.token_env: SECRET for a in ADAPTERS if a.token_env}
        settings = load_settings(write_config(tmp_path / "all.toml", base_url), environ=environ)
        with Session(engine) as session:
            sync_accounts(session, settings, clock())
        policy = RetryPolicy(sleep=FakeSleep(clock), rng=random.Random(1))
        runtime = Runtime(settings, clock, retry=policy, rng=random.Random(2))
        async with make_client() as client:
            for _ in range(CYCLES):
                await tick(engine, settings, client, runtime)
                clock.advance(timedelta(hours=1))


def test_hostile_accounts_are_parse_errors_and_every_other_account_is_stored(
    engine: Engine, tmp_path: Path
) -> None:
    assert {kind for _h, _s, kind in HOSTILE.values()} == HOSTILE_KINDS  # every kind served
    assert set(HOSTILE) == set(REGISTRY)
    asyncio.run(run(engine, tmp_path))
    hostile = {(platform, handle) for platform, (handle, _s, _k) in HOSTILE.items()}
    with Session(engine) as session:
        counted = dict(
            session.exec(
                select(Account.id, func.count(Snapshot.id))  # type: ignore[call-overload]
                .select_from(Account)
                .outerjoin(Snapshot, Snapshot.account_id == Account.id)
                .group_by(Account.id)
            ).all()
        )
        accounts = session.exec(select(Account)).scalars().all()  # type: ignore[call-overload]
        outcomes: dict[int, list[str]] = {}
        for account_id, outcome in session.exec(
            select(PollAttempt.account_id, PollAttempt.outcome)  # type: ignore[call-overload]
        ).all():
            outcomes.setdefault(account_id, []).append(outcome)
    assert len(accounts) == 2 * len(REGISTRY)
    for account in accounts:
        key = (account.platform, account.handle)
        if key in hostile:
            assert counted[account.id] == 0, key
            assert outcomes[account.id] == ["parse_error"] * CYCLES, key
            assert account.last_error and "\x00" not in account.last_error
        else:
            assert counted[account.id] == CYCLES, (key, outcomes.get(account.id))
            assert outcomes[account.id] == ["ok"] * CYCLES, key
