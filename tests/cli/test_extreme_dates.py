"""Extreme dates on the command line: one line naming the option, exit 2, never a traceback."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.store.accounts import get_or_create
from bot.store.writes import insert_snapshots
from tests.helpers.cli import cli_env, run_cli
from tests.helpers.store import snap

CONFIG = """
[bot]
timezone = "America/Los_Angeles"

[[accounts]]
platform = "bluesky"
handle = "dgsn.example.com"
"""
ACCOUNT = "bluesky:dgsn.example.com"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    """A working directory with a config file and the test database."""
    return cli_env(monkeypatch, tmp_path, database_url, CONFIG)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("snapshots", ACCOUNT, "--until", "9999-12-31"), "error: --until: expected a date from"),
        (("snapshots", ACCOUNT, "--since", "0001-01-01T00:00+01:00"), "error: --since: expected"),
        (("snapshots", ACCOUNT, "--since", "0001-01-01"), "error: --since: expected a date from"),
        (("growth", "--at", "9999-12-31"), "error: --at: expected a date from 1970-01-01 to"),
        (("growth", "--at", "1900-01-01"), "error: --at: expected a date from 1970-01-01 to"),
        (("digest", "--date", "9999-12-31"), "error: --date: expected a date from 1970-01-01"),
        (("digest", "--period", "week", "--date", "9999-12-31"), "error: --date: expected"),
        (("report", "--from", "0001-01-01", "--to", "9999-12-31"), "error: --from: expected"),
        (("chart", ACCOUNT, "-o", "c.png", "--until", "9999-12-31"), "error: --until: expected"),
    ],
)
def test_extreme_dates_are_one_line(
    env: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    result = run_cli(capsys, *args)
    assert result.code == 2, result.err
    assert result.err.startswith(message) and result.err.count("\n") == 1, result.err
    assert "9998-12-31" in result.err


def test_a_chart_with_a_year_one_snapshot_draws_the_rest(
    env: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    with Session(engine) as session:
        account = get_or_create(session, "bluesky", "dgsn.example.com", datetime.now(UTC))
        insert_snapshots(
            session.connection(),
            [
                snap(account.id or 0, datetime(1, 1, 1, 12, tzinfo=UTC), 5),
                snap(account.id or 0, datetime(2024, 1, 1, tzinfo=UTC), 100),
                snap(account.id or 0, datetime(2024, 1, 2, tzinfo=UTC), 110),
            ],
        )
        session.commit()
    result = run_cli(capsys, "chart", ACCOUNT, "--output", "c.png")
    assert result.code == 0, result.err
    assert result.out == "c.png: 2 snapshots drawn\n"
    assert (env / "c.png").read_bytes().startswith(b"\x89PNG")
