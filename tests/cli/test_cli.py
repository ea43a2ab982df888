"""Commands on SQLite and PostgreSQL: import, report, growth, snapshots, export, errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import cli_env, run_cli

SEED = """platform,handle,captured_at,followers,following,posts
mastodon,dgsn@social.example,2020-12-31,226482,12,10000
mastodon,dgsn@social.example,2021-06-30,270000,,10500
mastodon,dgsn@social.example,2021-12-31,317074,12,11061
bluesky,dgsn.example.com,2020-12-31,191903,,
bluesky,dgsn.example.com,2021-12-31,282638,,
"""
CONFIG = """
[bot]
timezone = "Africa/Casablanca"

[[accounts]]
platform = "bluesky"
handle = "dgsn.example.com"
label = "DGSN"
groups = ["institution"]
"""


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    """A working directory with a config file and the test database."""
    cli_env(monkeypatch, tmp_path, database_url, CONFIG)
    (tmp_path / "seed.csv").write_text(SEED)
    return tmp_path


def test_import_then_annual_report_gives_the_seed_figures(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run_cli(capsys, "import", "seed.csv")
    assert first.code == 0, first.err
    assert "5 rows read, 5 snapshots added" in first.out
    again = run_cli(capsys, "import", "seed.csv")
    assert "0 snapshots added, 5 already stored" in again.out
    result = run_cli(capsys, "report", "--year", "2021", "--format", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["year"] == 2021
    lines = {a["handle"]: a for a in report["accounts"]}
    masto, bsky = lines["dgsn@social.example"], lines["dgsn.example.com"]
    assert masto["start"] == {"date": "2020-12-31", "followers": 226482, "posts": 10000}
    assert masto["end"] == {"date": "2021-12-31", "followers": 317074, "posts": 11061}
    assert masto["followers_change"] == 90592 and masto["followers_growth_pct"] == 40.0
    assert masto["posts_in_period"] == 1061
    assert bsky["followers_growth_pct"] == 47.28 and bsky["posts_in_period"] is None


def test_report_table_and_csv(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "import", "seed.csv")
    table = run_cli(capsys, "report", "--year", "2021")
    assert "+47.28%" in table.out and "+40.00%" in table.out and "317,074" in table.out
    rows = list(
        csv.DictReader(io.StringIO(run_cli(capsys, "report", "--year", "2021", "-f", "csv").out))
    )
    assert {r["followers_growth_pct"] for r in rows} == {"40.0", "47.28"}


def test_growth_over_a_year_and_not_enough_history(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cli(capsys, "import", "seed.csv")
    result = run_cli(capsys, "growth", "--period", "365d", "--at", "2021-12-31", "-f", "json")
    assert result.code == 0, result.err
    rows = {r["handle"]: r for r in json.loads(result.out)}
    assert rows["dgsn.example.com"]["growth_pct"] == 47.28
    assert rows["dgsn.example.com"]["previous"] == 191903
    assert set(rows["dgsn.example.com"]) == {
        "platform",
        "handle",
        "followers",
        "previous",
        "change",
        "growth_pct",
        "posts_change",
        "from",
        "to",
    }
    week = json.loads(
        run_cli(capsys, "growth", "--period", "7d", "--at", "2021-12-31", "-f", "json").out
    )
    assert all(r["change"] is None and r["growth_pct"] is None for r in week)


def test_snapshots_and_accounts(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "import", "seed.csv")
    shots = json.loads(
        run_cli(capsys, "snapshots", "mastodon:dgsn@social.example", "-f", "json").out
    )
    assert [s["followers"] for s in shots] == [226482, 270000, 317074]
    assert shots[1]["following"] is None
    assert set(shots[0]) == {"captured_at", "followers", "following", "posts"}
    monthly = json.loads(
        run_cli(
            capsys,
            "snapshots",
            "mastodon:dgsn@social.example",
            "--since",
            "2021-01-01",
            "--every",
            "month",
            "-f",
            "json",
        ).out
    )
    assert [s["followers"] for s in monthly] == [270000, 317074]
    accounts = json.loads(run_cli(capsys, "accounts", "-f", "json").out)
    by_handle = {a["handle"]: a for a in accounts}
    assert by_handle["dgsn.example.com"]["label"] == "DGSN"
    assert by_handle["dgsn@social.example"]["followers"] == 317074
    assert set(accounts[0]) == {
        "platform",
        "handle",
        "label",
        "status",
        "followers",
        "posts",
        "last_polled_at",
        "last_error",
    }


def test_export_round_trips_through_import(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "import", "seed.csv")
    assert run_cli(capsys, "export", "--output", "all.csv").code == 0
    text = (env / "all.csv").read_text()
    assert text.startswith("platform,handle,captured_at,followers,following,posts")
    assert len(text.strip().splitlines()) == 6
    assert "0 snapshots added" in run_cli(capsys, "import", "all.csv").out


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (
            ("snapshots", "bluesky:nobody.example.com"),
            1,
            "unknown account bluesky:nobody.example.com",
        ),
        (("snapshots", "myspace:tom"), 1, "unknown platform 'myspace'"),
        (("snapshots", "nocolon"), 1, "expected PLATFORM:HANDLE"),
        (("growth", "--period", "banana"), 2, "unknown period 'banana'"),
        (("growth", "--at", "yesterday"), 2, "--at: expected a date"),
        (("report", "--year", "21"), 2, "expected a year"),
        (("accounts", "--format", "xml"), 2, "expected one of table, csv, json"),
        (("import", "nope.csv"), 2, "no such file"),
    ],
)
def test_user_mistakes_are_one_clear_line(
    env: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], code: int, needle: str
) -> None:
    result = run_cli(capsys, *args)
    assert result.code == code
    assert needle in " ".join(result.err.split())
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("growth", "--period", "banana"), "error: --period: unknown period 'banana': expected"),
        (("growth", "--at", "soon"), "error: --at: expected a date like 2021-12-31 or an ISO"),
        (
            ("snapshots", "bluesky:dgsn.example.com", "--every", "hour"),
            "error: --every: expected one of raw, day, week, month, got 'hour'",
        ),
        (("snapshots", "bluesky:dgsn.example.com", "--since", "soon"), "error: --since: expected"),
        (("snapshots", "bluesky:dgsn.example.com", "--until", "x"), "error: --until: expected"),
        (("accounts", "-f", "xml"), "error: --format: expected one of table, csv, json, got 'xml'"),
        (("report", "--from", "2021-01-01"), "error: report: --to is missing (--from D --to D)"),
        (("run", "--log-format", "xml"), "error: --log-format: expected one of text, json"),
        (("import", "seed.csv", "--map", "date=D"), "error: import: --map only apply with"),
    ],
)
def test_query_mistakes_keep_the_flag_form(
    env: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    result = run_cli(capsys, *args)
    assert result.code == 2
    assert result.err.startswith(message) and result.err.count("\n") == 1, result.err
    assert result.out == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("snapshots",), "error: missing argument 'account' (see 'bot snapshots --help')"),
        (("poll", "--bogus"), "error: no such option: --bogus (see 'bot poll --help')"),
        (("nosuch",), "error: no such command 'nosuch' (see 'bot --help')"),
        (("serve", "--port", "abc"), "error: invalid value for '--port': Input should be a valid"),
        (("serve", "--port", "0"), "error: invalid value for --port: expected a port from 1"),
        (("poll", "--platform", "myspace"), "error: invalid value for --platform: unknown"),
        (("demo", "--days", "1"), "error: invalid value for --days: expected at least 2 days"),
    ],
)
def test_usage_errors_are_one_line_not_a_panel(
    env: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    result = run_cli(capsys, *args)
    assert result.code == 2
    assert result.err.startswith(message) and result.err.count("\n") == 1, result.err
    assert "Usage:" not in result.err and "\u256d" not in result.err
    assert result.out == ""


def test_help_and_no_arguments_still_show_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "--help").code == 0
    bare = run_cli(capsys)
    assert "Usage" in bare.out + bare.err and "poll" in bare.out + bare.err


def test_bad_import_writes_nothing(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (env / "bad.csv").write_text(SEED + "bluesky,dgsn.example.com,not-a-date,1,,\n")
    result = run_cli(capsys, "import", "bad.csv")
    assert result.code == 2 and "bad.csv:7" in result.err
    shots = run_cli(capsys, "snapshots", "mastodon:dgsn@social.example", "-f", "json")
    assert shots.code == 1  # the account was never created: nothing half-written
    configured = run_cli(capsys, "snapshots", "bluesky:dgsn.example.com", "-f", "json")
    assert json.loads(configured.out) == []


@pytest.mark.process
def test_bad_config_exits_2_naming_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[bot]\npoll_interval = "banana"\n')
    done = subprocess.run(
        [sys.executable, "-m", "bot", "accounts", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"},
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert f"{config}: bot.poll_interval" in done.stderr and "banana" in done.stderr


def test_every_command_has_help_and_is_in_the_readme() -> None:
    from bot.cli import COMMANDS

    root = Path(__file__).parents[2]
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    docs = "\n".join(page.read_text(encoding="utf-8") for page in pages)
    for entry in COMMANDS:
        name = entry.name
        assert entry.load().__doc__, name
        assert f"bot {name}" in docs, f"README and docs/ lack `bot {name}`"


def test_tables_and_csv_speak_local_time_json_stays_utc(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One time rule (issue 11): human output in bot.timezone and says so; --utc switches."""
    (env / "one.csv").write_text(
        "platform,handle,captured_at,followers\nbluesky,dgsn.example.com,2021-06-30T12:00Z,5\n"
    )
    run_cli(capsys, "import", "one.csv")
    table = run_cli(capsys, "snapshots", "bluesky:dgsn.example.com").out
    assert "Africa/Casablanca" in table and "2021-06-30 13:00" in table  # UTC+1 that day
    csv_out = run_cli(capsys, "snapshots", "bluesky:dgsn.example.com", "-f", "csv").out
    assert "2021-06-30T13:00:00+01:00" in csv_out
    utc = run_cli(capsys, "snapshots", "bluesky:dgsn.example.com", "--utc").out
    assert "(UTC)" in utc and "2021-06-30 12:00" in utc
    shots = json.loads(run_cli(capsys, "snapshots", "bluesky:dgsn.example.com", "-f", "json").out)
    assert shots[0]["captured_at"] == "2021-06-30T12:00:00Z"
    growth = run_cli(capsys, "growth", "--period", "ytd", "--at", "2021-06-30").out
    assert "Growth year to date" in growth and "DGSN" in growth
    assert "Africa/Casablanca" in run_cli(capsys, "accounts").out
