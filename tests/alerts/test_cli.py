"""``bot alerts``: open, recent and all alerts as a table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from bot.alerts import evaluate
from bot.clock import system_clock
from bot.config import load_settings
from bot.store.tables import ACCOUNT
from tests.helpers.cli import run_cli

CONFIG = """
[bot]
timezone = "Africa/Casablanca"

[[accounts]]
platform = "x"
handle = "DGSN_MAROC"
label = "DGSN"

[[accounts]]
platform = "bluesky"
handle = "dgsn.example.com"
"""


def _status(engine: Engine, handle: str, status: str) -> None:
    with engine.begin() as connection:
        connection.execute(update(ACCOUNT).where(ACCOUNT.c.handle == handle).values(status=status))


def test_bot_alerts_lists_open_recent_and_all(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "accounts.toml").write_text(CONFIG)
    monkeypatch.setenv("BOT_CONFIG", str(tmp_path / "accounts.toml"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("BOT_NOTIFY", raising=False)
    assert run_cli(capsys, "alerts").code == 0  # creates and syncs the accounts
    settings = load_settings(tmp_path / "accounts.toml")
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    _status(engine, "dgsn.example.com", "not_found")
    evaluate(engine, settings, long_ago)
    _status(engine, "dgsn.example.com", "active")
    evaluate(engine, settings, long_ago + timedelta(hours=1))  # resolved years ago
    _status(engine, "DGSN_MAROC", "suspended")
    evaluate(engine, settings, system_clock())

    table = run_cli(capsys, "alerts")
    assert table.code == 0, table.err
    assert "DGSN (x:DGSN_MAROC): account suspended" in table.out
    assert "Opened (Africa/Casablanca)" in table.out and "dgsn.example.com" not in table.out
    rows = list(csv.DictReader(io.StringIO(run_cli(capsys, "alerts", "--open", "-f", "csv").out)))
    assert [(r["kind"], r["state"], r["label"]) for r in rows] == [("status", "open", "DGSN")]
    every = json.loads(run_cli(capsys, "alerts", "--all", "-f", "json").out)
    assert [(a["handle"], a["state"]) for a in every] == [
        ("DGSN_MAROC", "open"),
        ("dgsn.example.com", "resolved"),
    ]
    assert every[1]["resolved_at"] == "2020-01-01T01:00:00Z"
    both = run_cli(capsys, "alerts", "--open", "--all")
    assert both.code == 2 and both.err.count("\n") == 1
