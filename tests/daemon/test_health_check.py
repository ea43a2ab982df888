"""`bot status --check` (the image's HEALTHCHECK) and `bot run --metrics-host`."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import ManualClock, system_clock
from bot.config import Settings, load_settings
from bot.daemon.metrics import Metrics
from bot.daemon.scheduler import run_daemon
from bot.daemon.status import daemon_check
from bot.store.accounts import sync_accounts
from tests.daemon.test_status import CONFIG, T0, polled
from tests.helpers.cli import run_cli


def test_a_cycle_within_two_intervals_is_healthy_and_none_since_is_not(
    engine: Engine, tmp_path: Path
) -> None:
    _, clock, config = polled(engine, tmp_path)  # polled at T0; poll_interval is 1h
    settings = load_settings(config, environ={})
    alive, line = daemon_check(engine, settings, clock() + timedelta(minutes=90))
    assert alive and line.startswith("last poll 2025-03-01 12:00 UTC, within 2h")
    alive, line = daemon_check(engine, settings, clock() + timedelta(hours=2, minutes=1))
    assert not alive and line == "last poll 2025-03-01 12:00 UTC: no cycle completed within 2h"


def test_before_the_first_poll_the_window_runs_from_the_accounts_creation(
    engine: Engine, tmp_path: Path
) -> None:
    config = tmp_path / "accounts.toml"
    config.write_text(CONFIG)
    settings = load_settings(config, environ={})
    with Session(engine) as session:
        sync_accounts(session, settings, T0)
    assert daemon_check(engine, settings, T0 + timedelta(hours=1)) == (
        True,
        "no poll yet, within 2h",
    )
    assert not daemon_check(engine, settings, T0 + timedelta(hours=3))[0]
    with Session(engine) as session:  # the file now declares none: its accounts are removed
        sync_accounts(session, Settings(), T0)
    assert daemon_check(engine, Settings(), T0) == (
        False,
        "no accounts configured: the daemon has nothing to poll",
    )


def test_status_check_is_one_line_and_its_exit_status(
    engine: Engine,
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, _, config = polled(engine, tmp_path)  # long ago: the real clock is years past T0
    monkeypatch.setenv("DATABASE_URL", database_url)
    stale = run_cli(capsys, "status", "--check", "--config", str(config))
    assert stale.code == 1
    assert stale.out.startswith("unhealthy: last poll 2025-03-01 12:00 UTC")
    assert stale.out.count("\n") == 1
    fresh = tmp_path / "fresh.toml"
    fresh.write_text('[[accounts]]\nplatform = "bluesky"\nhandle = "new.bsky.social"\n')
    with Session(engine) as session:
        sync_accounts(session, load_settings(fresh, environ={}), system_clock())
    ok = run_cli(capsys, "status", "--check", "--config", str(fresh))
    assert (ok.code, ok.out) == (0, "ok: no poll yet, within 12h\n")


def free_port() -> int:
    """A port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_metrics_listen_on_the_metrics_host(engine: Engine) -> None:
    """127.0.0.2 stands for 0.0.0.0: the endpoint is where --metrics-host says, not 127.0.0.1."""
    port = free_port()

    async def scrape() -> tuple[int, bool]:
        stop = asyncio.Event()
        daemon = asyncio.create_task(
            run_daemon(
                Settings(),
                engine,
                clock=ManualClock(T0),
                stop=stop,
                metrics_port=port,
                metrics_host="127.0.0.2",
            )
        )
        try:
            async with httpx.AsyncClient() as client:
                for _ in range(200):  # until it listens, not a schedule
                    try:
                        response = await client.get(f"http://127.0.0.2:{port}/metrics")
                        break
                    except httpx.ConnectError:
                        await asyncio.sleep(0.025)
                else:
                    raise AssertionError("metrics never listened on 127.0.0.2")
                try:
                    await client.get(f"http://127.0.0.1:{port}/metrics")
                    loopback = True
                except httpx.ConnectError:
                    loopback = False
            return response.status_code, loopback
        finally:
            stop.set()
            await daemon

    assert asyncio.run(scrape()) == (200, False)


def test_metrics_publish_budgets_and_open_breakers() -> None:
    from bot.http.budget import GateView, RateBudget
    from bot.kinds import GateState

    metrics = Metrics()
    metrics.set_budgets({"x": RateBudget(300, 900), "youtube": RateBudget(10_000, 86_400)})
    view = GateView(GateState.CIRCUIT_OPEN, T0, 5, 0, 0, None, T0, "HTTP 503")
    metrics.observe([], {"x": view}, {}, T0.timestamp())
    text = metrics.render().decode()
    assert 'bot_platform_budget_requests_per_second{platform="x"} 0.333' in text
    assert 'bot_platform_budget_requests_per_second{platform="youtube"} 0.1157' in text
    assert 'bot_platform_circuit_open{platform="x"} 1.0' in text
    assert 'bot_platform_up{platform="x"} 0.0' in text
