"""`bot status`, the metrics endpoint and JSON logs, over a poll history on an injected clock."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from bot.clock import ManualClock
from bot.config import load_settings
from bot.daemon.logs import configure
from bot.daemon.metrics import Metrics, serve_metrics
from bot.daemon.scheduler import tick
from bot.daemon.status import status
from bot.http.redact import Redactor
from tests.daemon.test_faults import profile
from tests.helpers.cli import run_cli
from tests.helpers.daemon import make_runtime

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
CONFIG = """
[bot]
poll_interval = "1h"

[[accounts]]
platform = "bluesky"
handle = "good.bsky.social"

[[accounts]]
platform = "bluesky"
handle = "gone.bsky.social"

[[accounts]]
platform = "mastodon"
handle = "user@social.example"
"""


def handler(request: httpx.Request) -> httpx.Response:
    """Bluesky answers (without the 'gone' actor); Mastodon is rate limited for 10 minutes."""
    if request.url.host == "social.example":
        return httpx.Response(429, headers={"Retry-After": "600"}, json={"error": "slow down"})
    if request.url.path.endswith("getProfile"):
        return httpx.Response(400, json={"error": "InvalidRequest", "message": "Profile not found"})
    actors = [a for a in request.url.params.get_list("actors") if not a.startswith("gone")]
    return httpx.Response(200, json={"profiles": [profile(a, 1234) for a in actors]})


def polled(engine: Engine, tmp_path: Path) -> tuple[Metrics, ManualClock, Path]:
    """Two ticks, an hour apart: the good account polled twice, Mastodon paused."""
    config = tmp_path / "accounts.toml"
    config.write_text(CONFIG)
    settings = load_settings(config, environ={})
    clock = ManualClock(T0)
    runtime, _ = make_runtime(settings, clock)
    metrics = Metrics()
    from sqlmodel import Session

    from bot.store.accounts import sync_accounts

    with Session(engine) as session:
        sync_accounts(session, settings, clock())

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            await tick(engine, settings, client, runtime, metrics=metrics)

    asyncio.run(go())
    return metrics, clock, config


def test_status_shows_platform_states_failing_and_stale_accounts(
    engine: Engine, tmp_path: Path
) -> None:
    _, clock, config = polled(engine, tmp_path)
    settings = load_settings(config, environ={})
    report = status(engine, settings, clock() + timedelta(minutes=5))
    platforms = {p["platform"]: p for p in report["platforms"]}
    assert platforms["mastodon"]["state"] == "rate_limited"
    assert platforms["mastodon"]["until"] == T0 + timedelta(seconds=600)
    assert platforms["mastodon"]["rate_limited"] == 1
    assert platforms["bluesky"]["state"] == "ok"
    assert platforms["bluesky"]["last_success_at"] == T0
    problems = {(p["handle"], p["problem"]) for p in report["accounts"]}
    assert problems == {("gone.bsky.social", "failing"), ("user@social.example", "failing")}
    # Three hours without a poll: the good account is stale too; Mastodon's pause is over.
    later = status(engine, settings, clock() + timedelta(hours=3))
    assert ("good.bsky.social", "stale") in {(p["handle"], p["problem"]) for p in later["accounts"]}
    assert {p["platform"]: p["state"] for p in later["platforms"]}["mastodon"] == "ok"


def test_status_command(
    engine: Engine,
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, _, config = polled(engine, tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = run_cli(capsys, "status", "--config", str(config), "-f", "json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert {p["platform"] for p in document["platforms"]} == {"bluesky", "mastodon"}
    table = run_cli(capsys, "status", "--config", str(config))
    assert "Platforms" in table.out and "gone.bsky.social" in table.out


def test_metrics_endpoint_serves_the_daemons_figures(engine: Engine, tmp_path: Path) -> None:
    metrics, _, _ = polled(engine, tmp_path)

    async def scrape() -> str:
        runner = await serve_metrics(metrics, 0)
        try:
            port = runner.addresses[0][1]
            async with httpx.AsyncClient() as client:
                response = await client.get(f"http://127.0.0.1:{port}/metrics")
            assert response.headers["content-type"].startswith("text/plain")
            return response.text
        finally:
            await runner.cleanup()

    text = asyncio.run(scrape())
    assert 'bot_polls_total{outcome="ok",platform="bluesky"} 1.0' in text
    assert 'bot_polls_total{outcome="rate_limited",platform="mastodon"} 1.0' in text
    assert 'bot_followers{handle="good.bsky.social",platform="bluesky"} 1234.0' in text
    assert 'bot_platform_up{platform="mastodon"} 0.0' in text
    assert 'bot_platform_rate_limited_total{platform="mastodon"} 1.0' in text
    assert "bot_poll_duration_seconds_bucket" in text


def test_json_logs_are_one_redacted_object_per_line() -> None:
    buffer = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure("json", Redactor(["tok-123456"]), stream=buffer)
        logging.getLogger("bot.test").info("sent %s to %s", "tok-123456", "/bot12:abc/getChat")
        logging.getLogger("apscheduler.executors").info("Running job")  # quietened
    finally:
        for handler_ in list(root.handlers):
            root.removeHandler(handler_)
        for handler_ in saved[0]:
            root.addHandler(handler_)
        root.setLevel(saved[1])
    [line] = buffer.getvalue().splitlines()
    record = json.loads(line)
    assert record["level"] == "info" and record["logger"] == "bot.test"
    assert "tok-123456" not in line and "12:abc" not in line and "[REDACTED]" in record["message"]


def test_a_poll_read_as_suspect_is_a_success_for_the_metrics() -> None:
    from bot.daemon.poller import PollResult
    from bot.kinds import PollOutcome

    metrics = Metrics()
    held = PollResult("bluesky", "a.bsky.social", PollOutcome.SUSPECT, 10, 1, 1, None, 5)
    metrics.observe([held], {}, {}, 1000.0)
    labels = {"platform": "bluesky", "handle": "a.bsky.social"}
    # The platform answered (the Prometheus "no successful poll" rule must not fire on a
    # platform event that holds every count as suspect); the suspect count is not a good one.
    assert metrics.registry.get_sample_value("bot_last_success_timestamp_seconds", labels) == 1000
    assert metrics.registry.get_sample_value("bot_followers", labels) is None
