"""`bot import --figures` then `bot report`: the seed's published figures, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bot.api.app import create_app
from bot.clock import ManualClock
from bot.config import load_settings
from tests.helpers.cli import run_cli

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)
SEED = Path(__file__).parents[1] / "fixtures" / "seed" / "dgsn-maroc-2021.csv"
# What the team has: year-end followers and the posts of the year, no counters.
FIGURES = """platform,handle,from,to,metric,value
x,DGSN_MAROC,,2020-12-31,followers,226481
x,DGSN_MAROC,,2021-12-31,followers,317074
facebook,DGSN.MAROC,,2020-12-31,followers,191903
facebook,DGSN.MAROC,,2021-12-31,followers,282638
x,DGSN_MAROC,2021-01-01,2021-12-31,posts_published,"1,061"
"""
X_SENTENCE = (
    "X (@DGSN_MAROC): 317,074 followers on 31 Dec 2021, +90,593 (+40.00%) on a year before;"
    " 1,061 posts published (an imported total).\n"
)
FACEBOOK_SENTENCE = (
    "Facebook (@DGSN.MAROC): 282,638 followers on 31 Dec 2021, +90,735 (+47.28%) on a year"
    " before; no post count.\n"
)


@pytest.fixture
def team(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    """The seed institution's configuration (Africa/Casablanca) and its figures file."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "accounts.toml").write_text('[bot]\ntimezone = "Africa/Casablanca"\n')
    monkeypatch.setenv("BOT_CONFIG", str(tmp_path / "accounts.toml"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    (tmp_path / "figures.csv").write_text(FIGURES)
    return tmp_path


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    result = run_cli(capsys, "report", "--year", "2021", "-f", "json", *args)
    assert result.code == 0, result.err
    report: dict[str, Any] = json.loads(result.out)
    return report


def _accounts(capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    return {a["platform"]: a for a in _json(capsys)["accounts"]}


def test_published_figures_give_the_seed_sentences(
    team: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    imported = run_cli(capsys, "import", "figures.csv", "--figures")
    assert imported.code == 0, imported.err
    assert imported.out == "figures.csv: 5 figures read, 5 added, 0 replaced, 0 already stored\n"
    text = run_cli(capsys, "report", "--year", "2021", "-f", "text").out
    assert X_SENTENCE in text and FACEBOOK_SENTENCE in text
    assert "an imported total (bot import --figures) replaces the counter" in text
    markdown = run_cli(capsys, "report", "--year", "2021", "-f", "markdown").out
    assert "1,061 posts published (an imported total)" in markdown
    accounts = _accounts(capsys)
    x, facebook = accounts["x"], accounts["facebook"]
    assert (x["start"]["followers"], x["end"]["followers"]) == (226481, 317074)
    assert x["followers_growth_pct"] == 40.0 and facebook["followers_growth_pct"] == 47.28
    assert (x["posts_in_period"], x["posts_source"]) == (1061, "imported")
    assert (facebook["posts_in_period"], facebook["posts_source"]) == (None, None)
    assert x["end"]["date"] == "2021-12-31" and x["start"]["date"] == "2020-12-31"
    table = run_cli(capsys, "report", "--year", "2021").out
    assert "1,061" in table and "imported" in table
    again = run_cli(capsys, "import", "figures.csv", "--figures")
    assert again.out == "figures.csv: 5 figures read, 0 added, 0 replaced, 5 already stored\n"


def test_an_imported_total_wins_over_the_post_counter_and_says_so(
    team: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "import", str(SEED)).code == 0
    assert _accounts(capsys)["x"]["posts_source"] == "counter"
    (team / "posts.csv").write_text(
        "platform,handle,from,to,metric,value\n"
        "x,DGSN_MAROC,2021-01-01,2021-12-31,posts_published,1070\n"
    )
    assert run_cli(capsys, "import", "posts.csv", "--figures").code == 0
    x = _accounts(capsys)["x"]
    assert (x["posts_in_period"], x["posts_source"]) == (1070, "imported")
    text = run_cli(capsys, "report", "--year", "2021", "-f", "text").out
    assert "; 1,070 posts published (an imported total; the post counter says 1,061).\n" in text


def test_a_total_counts_only_for_exactly_its_span(
    team: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "import", "figures.csv", "--figures").code == 0
    same = _json(capsys)
    ranged = run_cli(capsys, "report", "--from", "2021-01-01", "--to", "2021-12-31", "-f", "json")
    assert json.loads(ranged.out)["accounts"] == same["accounts"]
    other = run_cli(capsys, "report", "--from", "2021-02-01", "--to", "2021-12-31", "-f", "json")
    x = next(a for a in json.loads(other.out)["accounts"] if a["platform"] == "x")
    assert (x["posts_in_period"], x["posts_source"]) == (None, None)
    groups = run_cli(capsys, "report", "--year", "2022", "-f", "json")
    assert groups.code == 0


def test_a_different_value_replaces_the_stored_one_and_is_recorded(
    team: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "import", "figures.csv", "--figures").code == 0
    (team / "fixed.csv").write_text(FIGURES.replace('"1,061"', "1058").replace("226481", "226480"))
    fixed = run_cli(capsys, "import", "fixed.csv", "--figures")
    assert fixed.out == "fixed.csv: 5 figures read, 0 added, 2 replaced, 3 already stored\n"
    x = _accounts(capsys)["x"]
    assert (x["posts_in_period"], x["start"]["followers"]) == (1058, 226480)
    trail = json.loads(run_cli(capsys, "corrections", "-f", "json").out)
    assert [(r["action"], r["field"], r["old"], r["new"]) for r in trail] == [
        ("replace", "followers", 226481, 226480),
        ("replace", "posts_published", 1061, 1058),
    ]
    assert (trail[1]["captured_at"], trail[1]["from"], trail[1]["to"]) == (
        None,
        "2021-01-01",
        "2021-12-31",
    )
    assert {r["origin"] for r in trail} == {"bot import --figures fixed.csv"}
    for row in reversed(trail):
        assert run_cli(capsys, "correct", "--undo", str(row["id"])).code == 0
    x = _accounts(capsys)["x"]
    assert (x["posts_in_period"], x["start"]["followers"]) == (1061, 226481)


def test_a_bad_row_writes_nothing(team: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (team / "bad.csv").write_text(FIGURES + "x,DGSN_MAROC,2021-01-01,2021-12-31,likes,5\n")
    result = run_cli(capsys, "import", "bad.csv", "--figures")
    assert result.code == 2
    assert result.err == (
        "error: bad.csv:7: metric 'likes' is not one of followers, posts_published\n"
    )
    assert _json(capsys)["accounts"] == []


@pytest.mark.parametrize(
    "extra",
    [("--platform", "x", "--handle", "DGSN_MAROC"), ("--abbreviated",), ("--map", "date=Date")],
)
def test_figures_take_no_column_mapping(
    team: Path, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...]
) -> None:
    result = run_cli(capsys, "import", "figures.csv", "--figures", *extra)
    assert result.code == 2 and result.err.count("\n") == 1
    assert "--figures reads platform,handle,from,to,metric,value" in result.err


def test_a_group_total_says_it_includes_an_imported_total(
    team: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (team / "accounts.toml").write_text(
        '[bot]\ntimezone = "Africa/Casablanca"\n\n'
        '[[accounts]]\nplatform = "x"\nhandle = "DGSN_MAROC"\ngroups = ["police"]\n\n'
        '[[accounts]]\nplatform = "facebook"\nhandle = "DGSN.MAROC"\ngroups = ["police"]\n'
    )
    assert run_cli(capsys, "import", "figures.csv", "--figures").code == 0
    text = run_cli(capsys, "report", "--year", "2021", "-f", "text").out
    assert (
        "police: 599,712 followers on 31 Dec 2021, +181,328 (+43.34%) on a year before"
        " (2 of 2 accounts); 1,061 posts published (1 of 2 accounts with a post count;"
        " 1 imported total included).\n"
    ) in text


def test_the_api_report_uses_the_imported_total(
    team: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "import", "figures.csv", "--figures").code == 0
    settings = load_settings(team / "accounts.toml", environ={"BOT_API_TOKEN": "t0ken-Api-1"})
    client = TestClient(create_app(settings, engine, clock=ManualClock(NOW)))
    response = client.get("/report?year=2021", headers={"Authorization": "Bearer t0ken-Api-1"})
    x = next(a for a in response.json()["accounts"] if a["platform"] == "x")
    assert (x["posts_in_period"], x["posts_source"], x["followers_growth_pct"]) == (
        1061,
        "imported",
        40.0,
    )
