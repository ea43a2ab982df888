"""`bot correct`, `bot corrections` and `--undo` on SQLite and PostgreSQL: every figure follows."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import run_cli

# Europe/Paris: a date alone is the end of that local day (the figure a spreadsheet gives for
# it), so 2021-12-31 is 2021-12-31T22:59:59.999999Z.
HISTORY = """platform,handle,captured_at,followers,following,posts
x,DGSN_MAROC,2020-12-31,226482,312,10254
x,DGSN_MAROC,2021-06-30T08:00:00Z,266305,318,10790
x,DGSN_MAROC,2021-06-30T20:00:00Z,266400,318,10795
x,DGSN_MAROC,2021-12-31,317074,322,11315
"""
ACCOUNT = "x:DGSN_MAROC"
YEAR_END = "2021-12-31T22:59:59.999999Z"


@pytest.fixture
def history(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The CLI environment with the history imported."""
    (cli_env / "history.csv").write_text(HISTORY)
    imported = run_cli(capsys, "import", "history.csv")
    assert imported.code == 0, imported.err
    return cli_env


def _report(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    result = run_cli(capsys, "report", "--year", "2021", "-f", "json")
    assert result.code == 0, result.err
    line: dict[str, Any] = json.loads(result.out)["accounts"][0]
    return line


def _corrections(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    result = run_cli(capsys, "corrections", *args, "-f", "json")
    assert result.code == 0, result.err
    rows: list[dict[str, Any]] = json.loads(result.out)
    return rows


def _correct(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    result = run_cli(capsys, "correct", *args)
    assert result.code == 0, result.err
    return result.out


def test_a_corrected_count_is_what_the_report_says_until_it_is_undone(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    said = _correct(capsys, ACCOUNT, "--at", "2021-12-31", "--followers", "317075")
    assert said == (
        f"correction 1: {ACCOUNT} at {YEAR_END}: followers 317,074 -> 317,075"
        " (undo: bot correct --undo 1)\n"
    )
    assert _report(capsys)["end"]["followers"] == 317075
    [row] = _corrections(capsys)
    assert row["id"] == 1 and (row["platform"], row["handle"]) == ("x", "DGSN_MAROC")
    assert (row["captured_at"], row["from"], row["to"]) == (YEAR_END, None, None)
    assert (row["action"], row["field"], row["old"], row["new"]) == (
        "set",
        "followers",
        317074,
        317075,
    )
    assert row["origin"] == "bot correct" and row["undone_at"] is None
    assert set(row) == {
        "id", "platform", "handle", "captured_at", "from", "to", "action", "field",
        "old", "new", "origin", "actor", "at", "undone_at",
    }  # fmt: skip
    undone = _correct(capsys, "--undo", "1")
    assert undone == f"correction 1 undone: {ACCOUNT} at {YEAR_END}: followers back to 317,074\n"
    assert _report(capsys)["end"]["followers"] == 317074
    assert _corrections(capsys)[0]["undone_at"] is not None
    again = run_cli(capsys, "correct", "--undo", "1")
    assert again.code == 2 and again.err.count("\n") == 1
    assert again.err.startswith("error: --undo: correction 1 was already undone on ")


def test_a_suspect_mark_keeps_the_point_out_until_it_is_marked_ok(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    said = _correct(capsys, ACCOUNT, "--at", YEAR_END, "--mark-suspect")
    assert said.startswith(f"correction 1: {ACCOUNT} at {YEAR_END}: quality ok -> suspect")
    assert _report(capsys)["end"]["followers"] == 266400
    _correct(capsys, ACCOUNT, "--at", YEAR_END, "--mark-ok")
    assert _report(capsys)["end"]["followers"] == 317074
    assert [r["action"] for r in _corrections(capsys)] == ["mark_suspect", "mark_ok"]


def test_a_deleted_snapshot_leaves_growth_and_report_and_comes_back_on_undo(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    growth = ("growth", "--period", "ytd", "--at", "2021-12-31", "-f", "json")
    before = json.loads(run_cli(capsys, *growth).out)[0]
    said = _correct(capsys, ACCOUNT, "--at", "2021-12-31", "--delete")
    assert said.startswith(
        f"correction 1: {ACCOUNT} at {YEAR_END}: deleted (317,074 followers, 322 following,"
        " 11,315 posts, ok)"
    )
    assert _report(capsys)["end"]["followers"] == 266400
    after = json.loads(run_cli(capsys, *growth).out)[0]
    assert (before["followers"], after["followers"]) == (317074, 266400)
    [row] = _corrections(capsys)
    assert row["old"]["followers"] == 317074 and row["new"] is None
    _correct(capsys, "--undo", "1")
    assert _report(capsys)["end"]["followers"] == 317074


def test_a_corrected_post_count_changes_the_posts_published(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _report(capsys)["posts_in_period"] == 1061
    _correct(capsys, ACCOUNT, "--at", "2021-12-31", "--posts", "11316")
    assert _report(capsys)["posts_in_period"] == 1062


def test_a_change_that_changes_nothing_is_not_recorded(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    said = _correct(capsys, ACCOUNT, "--at", "2021-12-31", "--mark-ok")
    assert said == f"nothing to change: {ACCOUNT} at {YEAR_END} is already ok\n"
    assert _corrections(capsys) == []


def test_undo_waits_for_later_changes_of_the_same_snapshot(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _correct(capsys, ACCOUNT, "--at", "2021-12-31", "--followers", "1")
    _correct(capsys, ACCOUNT, "--at", "2021-12-31", "--mark-suspect")
    refused = run_cli(capsys, "correct", "--undo", "1")
    assert refused.code == 2
    assert refused.err == (
        "error: --undo: correction 2 changed the same snapshot after correction 1: undo 2 first\n"
    )
    _correct(capsys, "--undo", "2")
    _correct(capsys, "--undo", "1")
    assert _report(capsys)["end"]["followers"] == 317074


def test_the_audit_listing_as_table_and_csv_and_for_one_account(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _correct(capsys, ACCOUNT, "--at", "2021-12-31", "--delete")
    table = run_cli(capsys, "corrections").out
    assert "delete" in table and "followers=317074" in table and "bot correct" in table
    rows = list(csv.DictReader(io.StringIO(run_cli(capsys, "corrections", "-f", "csv").out)))
    assert [(r["id"], r["action"], r["new"]) for r in rows] == [("1", "delete", "")]
    assert _corrections(capsys, ACCOUNT)[0]["id"] == 1
    other = run_cli(capsys, "corrections", "bluesky:nobody.bsky.social")
    assert other.code == 1 and "unknown account" in other.err


WHEN_ERRORS = [
    (
        ("--at", "2021-06-30", "--delete"),
        "--at: x:DGSN_MAROC has 2 snapshots on 2021-06-30 (Europe/Paris):"
        " 2021-06-30T08:00:00Z, 2021-06-30T20:00:00Z; give one of them as --at",
    ),
    (
        ("--at", "2021-07-01", "--delete"),
        "--at: x:DGSN_MAROC has no snapshot on 2021-07-01 (Europe/Paris); the nearest are"
        " 2021-06-30T20:00:00Z, 2021-12-31T22:59:59.999999Z",
    ),
    (
        ("--at", "2021-12-31T23:00:00Z", "--delete"),
        "--at: x:DGSN_MAROC has no snapshot at 2021-12-31T23:00:00Z; the nearest is"
        " 2021-12-31T22:59:59.999999Z",
    ),
    (("--at", "banana", "--delete"), "--at: expected a date like 2021-12-31 or an ISO time"),
]


@pytest.mark.parametrize(("args", "message"), WHEN_ERRORS, ids=["two", "none", "instant", "bad"])
def test_when_names_exactly_one_snapshot(
    history: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    result = run_cli(capsys, "correct", ACCOUNT, *args)
    assert result.code == 2
    assert result.err.startswith(f"error: {message}") and result.err.count("\n") == 1


FLAG_ERRORS = [
    ((ACCOUNT, "--at", "2021-12-31"), "correct: give exactly one of --mark-suspect, --mark-ok"),
    ((ACCOUNT, "--at", "2021-12-31", "--delete", "--mark-ok"), "give exactly one of"),
    ((ACCOUNT, "--at", "2021-12-31", "--followers", "1", "--posts", "2"), "give exactly one of"),
    ((ACCOUNT, "--delete"), "correct: --at WHEN is missing"),
    (("--at", "2021-12-31", "--delete"), "correct: ACCOUNT is missing"),
    ((), "correct: give ACCOUNT --at WHEN and one change, or --undo ID"),
    ((ACCOUNT, "--undo", "1"), "correct: --undo ID takes no ACCOUNT, --at or change"),
    (("--undo", "1", "--delete"), "correct: --undo ID takes no ACCOUNT, --at or change"),
    ((ACCOUNT, "--at", "2021-12-31", "--followers", "-1"), "--followers: expected a whole number"),
    (("--undo", "99"), "--undo: no correction 99 (see `bot corrections`)"),
]


@pytest.mark.parametrize(("args", "needle"), FLAG_ERRORS)
def test_bad_combinations_are_one_line_and_exit_2(
    history: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], needle: str
) -> None:
    result = run_cli(capsys, "correct", *args)
    assert result.code == 2, result.out
    assert needle in result.err and result.err.count("\n") == 1
    assert _corrections(capsys) == []


def test_an_unknown_account_exits_1(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "correct", "x:nobody", "--at", "2021-12-31", "--delete")
    assert result.code == 1 and "unknown account x:nobody" in result.err


def test_the_digest_and_the_chart_see_the_corrected_history(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    digest = ("digest", "--date", "2021-12-31", "-f", "json")
    assert json.loads(run_cli(capsys, *digest).out)["accounts"][0]["followers"] == 317074
    _correct(capsys, ACCOUNT, "--at", "2021-12-31", "--followers", "317075")
    assert json.loads(run_cli(capsys, *digest).out)["accounts"][0]["followers"] == 317075
    chart = ("chart", ACCOUNT, "--output", "x.png")
    assert run_cli(capsys, *chart).out == "x.png: 4 snapshots drawn\n"
    _correct(capsys, ACCOUNT, "--at", "2020-12-31", "--mark-suspect")
    assert run_cli(capsys, *chart).out == "x.png: 3 snapshots drawn\n"
