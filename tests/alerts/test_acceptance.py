"""Acceptance: a simulated account through the daemon's tick, alerts to a loopback webhook."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import ManualClock
from bot.config import Secret, Settings
from bot.daemon.scheduler import tick
from bot.http.client import make_client
from bot.simulator.counters import bluesky_did
from bot.store.accounts import sync_accounts
from tests.helpers.cli import run_cli
from tests.helpers.daemon import make_runtime
from tests.helpers.settings import settings_for
from tests.helpers.simulator import running_simulator
from tests.helpers.webhook import Webhook, running_webhook

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
HANDLE = "newsroom.bsky.social"


async def _story(engine: Engine, hook: Webhook) -> tuple[list[str], Settings]:
    """Poll hourly through the simulator: glitches, a lasting ~10% drop, not found, back."""
    clock = ManualClock(T0)
    delivered: list[str] = []
    async with running_simulator(clock) as (simulator, base):
        settings = settings_for(
            [HANDLE],
            base_url=base,
            poll_interval=timedelta(hours=1),
            notify=(Secret(hook.url("/alerts")),),
        )
        with Session(engine) as session:
            sync_accounts(session, settings, clock())
        runtime, _ = make_runtime(settings, clock)
        bluesky = simulator.platform("bluesky")

        async def hour(note: str) -> None:
            async with make_client() as client:
                await tick(engine, settings, client, runtime)
            got = [p["message"] for p in hook.delivered["/alerts"]]
            delivered.append(f"{note}: {len(got)}")
            clock.advance(timedelta(hours=1))

        await hour("first")
        await hour("second")
        simulator.glitch("bluesky", HANDLE, "drop", times=1, factor=0.5)
        await hour("suspect glitch")
        await hour("back")
        simulator.glitch("bluesky", HANDLE, "drop", times=1, factor=0.895)
        await hour("one-poll dip")
        await hour("back again")
        simulator.glitch("bluesky", HANDLE, "drop", times=None, factor=0.895)
        await hour("drop")
        await hour("drop holds")
        await hour("drop still holds")
        bluesky.handles.pop(bluesky_did(HANDLE))  # type: ignore[attr-defined]
        await hour("not found")
        await hour("still not found")
        simulator.remember("bluesky", [HANDLE])
        await hour("found again")
        await hour("quiet")
    return delivered, settings


def test_one_alert_per_event_and_one_on_recovery(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with running_webhook() as hook:
        progress, _ = asyncio.run(_story(engine, hook))
        messages = [p["message"] for p in hook.delivered["/alerts"]]
        titles = [p["title"] for p in hook.delivered["/alerts"]]
    assert progress == [
        "first: 0",
        "second: 0",
        "suspect glitch: 0",
        "back: 0",
        "one-poll dip: 0",
        "back again: 0",
        "drop: 0",
        "drop holds: 1",
        "drop still holds: 1",
        "not found: 2",
        "still not found: 2",
        "found again: 3",
        "quiet: 3",
    ]
    assert "followers down" in messages[0] and f"bluesky:{HANDLE}" in messages[0]
    assert "(10." in messages[0]
    assert messages[1] == f"bluesky:{HANDLE}: account not found"
    assert messages[2] == f"bluesky:{HANDLE}: account found again"
    assert titles[0].startswith("Alert: ") and titles[2].startswith("Resolved: ")

    monkeypatch.chdir(tmp_path)
    (tmp_path / "accounts.toml").write_text("")
    monkeypatch.setenv("BOT_CONFIG", str(tmp_path / "accounts.toml"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("BOT_NOTIFY", raising=False)
    listed = run_cli(capsys, "alerts", "--all", "--format", "json")
    assert listed.code == 0, listed.err
    rows = json.loads(listed.out)
    assert [(r["kind"], r["state"]) for r in rows] == [("status", "resolved"), ("drop", "open")]
    assert rows[0]["resolve_message"] == messages[2]
