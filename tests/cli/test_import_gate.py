"""`bot import` through the quality gate, its time rule and its edges, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import run_cli

HEADER = "platform,handle,captured_at,followers,following,posts\n"
# Two accounts polled twice a day; Facebook's 2025-03-02T21:00Z answer was a 0.
ROWS = [
    ("x", "dgsn", "2025-03-01T09:00:00Z", 226000),
    ("x", "dgsn", "2025-03-01T21:00:00Z", 226100),
    ("x", "dgsn", "2025-03-02T09:00:00Z", 226200),
    ("x", "dgsn", "2025-03-02T21:00:00Z", 226300),
    ("x", "dgsn", "2025-03-03T09:00:00Z", 226400),
    ("x", "dgsn", "2025-03-03T21:00:00Z", 226500),
    ("facebook", "dgsn", "2025-03-01T09:00:00Z", 5671000),
    ("facebook", "dgsn", "2025-03-01T21:00:00Z", 5671200),
    ("facebook", "dgsn", "2025-03-02T09:00:00Z", 5671400),
    ("facebook", "dgsn", "2025-03-02T20:00:00Z", 5671600),
    ("facebook", "dgsn", "2025-03-02T21:00:00Z", 0),
    ("facebook", "dgsn", "2025-03-03T09:00:00Z", 5671800),
    ("facebook", "dgsn", "2025-03-03T21:00:00Z", 5672000),
]
ZERO = ("facebook", "dgsn", "2025-03-02T21:00:00Z", 0)


def _csv(rows: list[tuple[str, str, str, int]]) -> str:
    return HEADER + "".join(f"{p},{h},{t},{f},,\n" for p, h, t, f in rows)


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    result = run_cli(capsys, *args, "-f", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def _qualities(capsys: pytest.CaptureFixture[str], key: str) -> list[str]:
    """The account's snapshots' qualities in time order, as ``bot export`` writes them."""
    result = run_cli(capsys, "export", "--format", "jsonl")
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    return [r["quality"] for r in rows if f"{r['platform']}:{r['handle']}" == key]


def _figures(capsys: pytest.CaptureFixture[str]) -> tuple[Any, Any, Any, Any]:
    """Digests of 2 and 3 March (accounts, groups, milestones), 1-day growth, the report."""
    days = []
    for day in ("2025-03-02", "2025-03-03"):
        digest = _json(capsys, "digest", "--date", day)
        accounts = {
            (a["platform"], a["handle"]): (a["followers"], a["change"], a["growth_pct"])
            for a in digest["accounts"]
        }
        groups = [(g["followers"], g["change"], g["growth_pct"]) for g in digest["groups"]]
        days.append((accounts, groups, digest["milestones"]))
    growth = _json(capsys, "growth", "--period", "1d", "--at", "2025-03-03")
    report = _json(capsys, "report", "--from", "2025-03-02", "--to", "2025-03-02")
    return days[0], days[1], growth, report["accounts"]


def test_an_imported_zero_between_normal_rows_changes_no_figure(
    cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The reference: the same history without the bad row.
    (cli_env / "clean.csv").write_text(_csv([r for r in ROWS if r != ZERO]))
    assert run_cli(capsys, "import", "clean.csv").code == 0
    clean = _figures(capsys)
    chart = run_cli(capsys, "chart", "facebook:dgsn", "--output", "clean.png")
    assert chart.out == "clean.png: 6 snapshots drawn\n"
    (cli_env / "history.csv").write_text(_csv(ROWS))
    imported = run_cli(capsys, "import", "history.csv")
    assert imported.code == 0, imported.err
    assert imported.out == (
        "history.csv: 13 rows read, 1 snapshots added, 12 already stored"
        " (--replace overwrites those whose values differ)\n"
        "1 rows kept as suspect (left out of growth, digests, reports and charts):\n"
        "  facebook:dgsn at 2025-03-02 22:00:00 (Europe/Paris): 0 followers\n"
        "See every row's quality with `bot export -o FILE` (column quality); store them as ok"
        " with `bot import FILE --trust` or `bot correct ACCOUNT --at WHEN --mark-ok`\n"
    )
    assert _figures(capsys) == clean
    _, (accounts, groups, _), growth, _ = clean
    facebook_1d = accounts[("facebook", "dgsn")][1]["1d"]
    assert facebook_1d is not None and 0 < facebook_1d < 1000  # not +5,671,836
    assert all(abs(pct["1d"]) < 1 for _, _, pct in groups)  # not +33.42%
    assert clean[0][2] == []  # no milestone "crossed" on the way back up from 0
    assert all(g["growth_pct"] is None or g["growth_pct"] > -1 for g in growth)  # not -100%
    chart = run_cli(capsys, "chart", "facebook:dgsn", "--output", "history.png")
    assert chart.out == "history.png: 6 snapshots drawn\n"  # the 0 is not drawn: no plunge
    assert _qualities(capsys, "facebook:dgsn") == ["ok", "ok", "ok", "ok", "suspect", "ok", "ok"]


def test_a_zero_imported_alone_is_judged_against_both_neighbours(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cli_env / "first.csv").write_text(_csv([r for r in ROWS if r != ZERO]))
    (cli_env / "zero.csv").write_text(_csv([ZERO]))
    assert run_cli(capsys, "import", "first.csv").code == 0
    said = run_cli(capsys, "import", "zero.csv")
    assert "1 rows kept as suspect" in said.out
    assert _qualities(capsys, "facebook:dgsn") == ["ok", "ok", "ok", "ok", "suspect", "ok", "ok"]


def test_trust_stores_suspect_rows_as_ok_and_records_it(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cli_env / "history.csv").write_text(_csv(ROWS))
    assert run_cli(capsys, "import", "history.csv").code == 0
    trusted = run_cli(capsys, "import", "history.csv", "--trust")
    assert trusted.out.endswith("1 rows the quality gate found suspect stored as ok (--trust)\n")
    assert _qualities(capsys, "facebook:dgsn") == ["ok"] * 7
    [mark] = _json(capsys, "corrections")
    assert (mark["action"], mark["origin"]) == ("mark_ok", "bot import --trust history.csv")
    # A later import leaves the trusted row alone: it is a hand mark now.
    (cli_env / "later.csv").write_text(
        _csv([("facebook", "dgsn", "2025-03-04T09:00:00Z", 5672100)])
    )
    assert "suspect" not in run_cli(capsys, "import", "later.csv").out
    assert _qualities(capsys, "facebook:dgsn") == ["ok"] * 8


def test_a_drop_that_held_in_an_imported_history_is_confirmed(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        ("x", "dgsn", "2025-03-01T00:00:00Z", 5000),
        ("x", "dgsn", "2025-03-01T06:00:00Z", 3000),
        ("x", "dgsn", "2025-03-01T09:00:00Z", 3010),
        ("x", "dgsn", "2025-03-01T12:00:00Z", 2990),
    ]
    (cli_env / "drop.csv").write_text(_csv(rows))
    said = run_cli(capsys, "import", "drop.csv")
    assert "suspect" not in said.out
    assert _qualities(capsys, "x:dgsn") == ["ok", "confirmed_drop", "ok", "ok"]


def test_export_then_import_keeps_flags_sources_and_ids(
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What a polling bot exports: sources and the stable id of the account.
    polled = "".join(
        f"{p},{h},{t},{f},,,poll,ok,{'1234' if p == 'x' else ''}\n" for p, h, t, f in ROWS
    )
    header = HEADER.rstrip("\n") + ",source,quality,platform_id\n"
    (cli_env / "history.csv").write_text(header + polled)
    assert run_cli(capsys, "import", "history.csv").code == 0
    # A hand mark the gate would not make itself: the export carries it.
    marked = run_cli(capsys, "correct", "x:dgsn", "--at", "2025-03-01T21:00:00Z", "--mark-suspect")
    assert marked.code == 0, marked.err
    first = run_cli(capsys, "export", "--format", "jsonl").out
    assert '"quality": "suspect"' in first and '"platform_id": "1234"' in first
    assert (cli_env / "out.jsonl").write_text(first)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")  # a new database
    again = run_cli(capsys, "import", "out.jsonl")
    assert again.code == 0, again.err
    assert "kept as suspect" not in again.out  # the file said so itself
    assert run_cli(capsys, "export", "--format", "jsonl").out == first


@pytest.mark.parametrize(
    ("when", "needle"),
    [
        ("2099-01-01", "captured_at '2099-01-01' is in the future (now is "),
        ("9999-12-31T23:59:59Z", "captured_at '9999-12-31T23:59:59Z' is in the future"),
        ("9999-12-31", "captured_at '9999-12-31' is in the future"),
        ("1969-12-31T23:59:59Z", "captured_at '1969-12-31T23:59:59Z' is before 1970"),
        ("0001-01-01T00:00+01:00", "captured_at '0001-01-01T00:00+01:00' is before 1970"),
    ],
)
def test_times_in_the_future_or_before_1970_are_refused_naming_the_row(
    cli_env: Path, capsys: pytest.CaptureFixture[str], when: str, needle: str
) -> None:
    good = "x,dgsn,2025-03-01T09:00:00Z,1,,\n"
    (cli_env / "bad.csv").write_text(HEADER + good + f"x,dgsn,{when},2,,\n")
    result = run_cli(capsys, "import", "bad.csv")
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert result.err.startswith("error: bad.csv:3: " + needle), result.err
    assert _json(capsys, "accounts") == []  # nothing stored: not even the good row


def test_a_date_alone_is_the_end_of_that_local_day_and_shows_back_as_that_date(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cli_env / "daily.csv").write_text(
        HEADER + "x,dgsn,2020-12-31,226481,,\nx,dgsn,2021-12-31,317074,,\n"
    )
    assert run_cli(capsys, "import", "daily.csv").code == 0
    # Europe/Paris: the end of 31 Dec is 22:59:59.999999 UTC, shown back on 31 Dec.
    rows = _json(capsys, "snapshots", "x:dgsn")
    assert [r["captured_at"] for r in rows] == [
        "2020-12-31T22:59:59.999999Z",
        "2021-12-31T22:59:59.999999Z",
    ]
    table = run_cli(capsys, "snapshots", "x:dgsn").out
    assert "2020-12-31 23:59" in table and "2021-12-31 23:59" in table
    report = _json(capsys, "report", "--year", "2021")
    assert report["accounts"][0]["followers_growth_pct"] == 40.0


def test_daily_rows_give_a_one_day_figure(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 15: one row per day, as a spreadsheet holds them.
    (cli_env / "daily.csv").write_text(
        HEADER + "x,dgsn,2025-03-01,1000,,\nx,dgsn,2025-03-02,1010,,\nx,dgsn,2025-03-03,1030,,\n"
    )
    assert run_cli(capsys, "import", "daily.csv").code == 0
    [line] = _json(capsys, "growth", "--period", "1d", "--at", "2025-03-03")
    assert (line["previous"], line["followers"], line["change"]) == (1010, 1030, 20)


@pytest.mark.parametrize(
    ("period", "dates"),
    [
        ("7d", ("2025-03-02", "2025-03-09", "2025-03-16")),
        ("30d", ("2025-01-15", "2025-02-14", "2025-03-16")),
    ],
)
def test_weekly_and_monthly_rows_give_their_period_figure(
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
    period: str,
    dates: tuple[str, str, str],
) -> None:
    # Issue 15: the same rule for one row a week or a month: the row one period back is the base.
    rows = "".join(f"x,dgsn,{d},{n},,\n" for d, n in zip(dates, (1000, 1070, 1100), strict=True))
    (cli_env / "rows.csv").write_text(HEADER + rows)
    assert run_cli(capsys, "import", "rows.csv").code == 0
    [line] = _json(capsys, "growth", "--period", period, "--at", dates[-1])
    assert (line["previous"], line["followers"], line["change"]) == (1070, 1100, 30)
