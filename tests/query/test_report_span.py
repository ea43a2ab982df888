"""A report tells the truth about its span: a year not over, a year not begun, dated headers."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bot.api.app import create_app
from bot.clock import ManualClock, system_clock
from bot.config import Settings, load_settings
from bot.io.load import import_history
from bot.output.text import CLI
from bot.query import rows as views
from bot.query import words
from bot.query.report_text import day_text, render_markdown, render_text
from tests.helpers.cli import run_cli

# 13:00 on 1 Dec 2026 in Casablanca (UTC+1): eleven months of 2026 are over.
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
HISTORY = """platform,handle,captured_at,followers,following,posts
x,DGSN_MAROC,2025-12-01T12:00:00Z,1000,10,100
x,DGSN_MAROC,2025-12-31T20:00:00Z,1100,10,110
x,DGSN_MAROC,2026-06-01T12:00:00Z,1200,10,150
x,DGSN_MAROC,2026-12-01T10:00:00Z,1241,10,190
x,DGSN_MAROC,2026-12-01T18:00:00Z,9999,10,999
"""


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Settings:
    """Casablanca settings over a history that runs past ``NOW`` (a row stamped later)."""
    config = tmp_path / "accounts.toml"
    config.write_text('[bot]\ntimezone = "Africa/Casablanca"\n')
    (tmp_path / "history.csv").write_text(HISTORY)
    loaded = load_settings(config, environ={"BOT_API_TOKEN": "t0ken-for-tests"})
    # Imported a day later: a row after NOW is refused as future-dated at NOW itself.
    import_history(engine, loaded, tmp_path / "history.csv", NOW + timedelta(days=1))
    return loaded


def _text(engine: Engine, settings: Settings, year: int, now: datetime) -> tuple[str, str]:
    period = words.report_period(year, None, None, settings, CLI, now=now)
    entries = views.report_entries(
        engine, first=period.first, last=period.last, tz=settings.timezone
    )
    return render_text(period, entries, settings), render_markdown(period, entries, settings)


def test_a_year_not_over_names_the_days_it_compares(engine: Engine, settings: Settings) -> None:
    text, markdown = _text(engine, settings, 2026, NOW)
    title = "Annual report 2026, so far: 1 Jan to 1 Dec 2026, against 31 Dec 2025"
    assert text.startswith(f"{title}\n{'=' * len(title)}\n")
    assert "and now (1 Dec 2026 13:00; the period ends on 31 Dec 2026)" in text
    # The end figure is the latest up to now (not the row stamped 18:00), compared with the eve.
    assert (
        "X (@DGSN_MAROC): 1,241 followers on 1 Dec 2026, +141 (+12.82%) since 31 Dec 2025;"
        " 80 posts published." in text
    )
    assert "a year before" not in text
    assert markdown.startswith(f"# {title}\n")
    assert "| Account | Followers 1 Dec 2026 | On | Change since 31 Dec 2025 |" in markdown
    # Once the year is over, the same history reads as a whole year against its eve.
    whole, _ = _text(engine, settings, 2026, datetime(2027, 1, 2, tzinfo=UTC))
    assert whole.startswith("Annual report 2026\n")
    assert "9,999 followers on 1 Dec 2026, +8,899 (+809.00%) on a year before" in whole


def test_the_api_gives_the_span_and_refuses_a_year_not_begun(
    engine: Engine, settings: Settings
) -> None:
    client = TestClient(create_app(settings, engine, clock=ManualClock(NOW)))
    auth = {"Authorization": "Bearer t0ken-for-tests"}
    document = client.get("/report?year=2026", headers=auth).json()
    assert document["span"] == {
        "start_at": "2025-12-31T23:00:00Z",
        "end_at": "2026-12-01T12:00:00Z",
        "first_day": "2026-01-01",
        "last_day": "2026-12-01",
        "against": "2025-12-31",
        "complete": False,
    }
    [x] = document["accounts"]
    assert (x["start"]["followers"], x["end"]["followers"], x["followers_growth_pct"]) == (
        1100,
        1241,
        12.82,
    )
    refused = client.get("/report?year=2027", headers=auth)
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "year: the year 2027 has not started yet in Africa/Casablanca"
        " (today is 2026-12-01)",
        "field": "year",
    }
    begun_later = client.get("/report?from=2026-12-02&to=2026-12-31", headers=auth)
    assert begun_later.status_code == 400 and begun_later.json()["field"] == "from"


@pytest.fixture
def cli_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    """A UTC config whose one account has data a day ago and on last year's eve."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "accounts.toml").write_text('[bot]\ntimezone = "UTC"\n')
    monkeypatch.setenv("BOT_CONFIG", str(tmp_path / "accounts.toml"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    now = system_clock()
    eve = datetime(now.year - 1, 12, 31, 12, tzinfo=UTC)
    recent = max(now - timedelta(hours=1), datetime(now.year, 1, 1, tzinfo=UTC))
    (tmp_path / "history.csv").write_text(
        "platform,handle,captured_at,followers,following,posts\n"
        f"x,DGSN_MAROC,{eve.isoformat()},1000,1,10\n"
        f"x,DGSN_MAROC,{recent.isoformat()},1100,1,20\n"
    )
    return tmp_path


def test_cli_current_year_names_its_days_and_next_year_exits_2(
    cli_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "import", "history.csv").code == 0
    before = system_clock().date()
    text = run_cli(capsys, "report", "--year", str(before.year), "-f", "text")
    table = run_cli(capsys, "report", "--year", str(before.year))
    after = system_clock().date()
    assert text.code == 0 and table.code == 0, text.err + table.err
    # The command read its clock between ``before`` and ``after`` (a midnight may pass).
    titles = {
        f"Annual report {day.year}, so far: 1 Jan to {day_text(day)}, against 31 Dec {day.year - 1}"
        for day in (before, after)
    }
    assert text.out.splitlines()[0] in titles
    assert f"Followers 31 Dec {before.year - 1}" in table.out
    assert any(f"Followers {day_text(day)}" in table.out for day in (before, after))
    assert "Followers then" not in table.out and "Followers now" not in table.out
    following = after.year + 1
    refused = run_cli(capsys, "report", "--year", str(following), "-f", "json")
    assert refused.code == 2 and refused.out == ""
    assert refused.err.strip().count("\n") == 0
    assert f"the year {following} has not started yet in UTC" in refused.err
    document = json.loads(run_cli(capsys, "report", "--year", str(before.year), "-f", "json").out)
    assert document["span"]["complete"] is False
    assert date.fromisoformat(document["span"]["last_day"]) in (before, after)
