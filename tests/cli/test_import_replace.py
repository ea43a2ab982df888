"""`bot import --replace` on SQLite and PostgreSQL: a corrected file overwrites, and says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli

HISTORY = """platform,handle,captured_at,followers,following,posts
x,DGSN_MAROC,2020-12-31,226482,312,10254
x,DGSN_MAROC,2021-12-31,317074,322,11315
"""
# The team's corrected file: 2020 was 226,481; 2021 unchanged; a new mid-year row.
CORRECTED = """platform,handle,captured_at,followers,following,posts
x,DGSN_MAROC,2020-12-31,226481,312,10254
x,DGSN_MAROC,2021-06-30,266305,318,10790
x,DGSN_MAROC,2021-12-31,317074,322,11315
"""


@pytest.fixture
def files(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The history imported; the corrected file beside it."""
    (cli_env / "history.csv").write_text(HISTORY)
    (cli_env / "corrected.csv").write_text(CORRECTED)
    assert run_cli(capsys, "import", "history.csv").code == 0
    return cli_env


def _start(capsys: pytest.CaptureFixture[str]) -> int:
    report = json.loads(run_cli(capsys, "report", "--year", "2021", "-f", "json").out)
    followers: int = report["accounts"][0]["start"]["followers"]
    return followers


def test_without_replace_a_different_value_is_kept_and_the_way_to_replace_is_named(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "import", "corrected.csv")
    assert result.code == 0, result.err
    assert result.out == (
        "corrected.csv: 3 rows read, 1 snapshots added, 2 already stored"
        " (--replace overwrites those whose values differ)\n"
    )
    assert _start(capsys) == 226482


def test_replace_overwrites_counts_them_and_records_each_replacement(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "import", "corrected.csv", "--replace")
    assert result.code == 0, result.err
    assert result.out == (
        "corrected.csv: 3 rows read, 1 snapshots added, 1 replaced, 1 already stored\n"
    )
    assert _start(capsys) == 226481
    [row] = json.loads(run_cli(capsys, "corrections", "-f", "json").out)
    assert (row["action"], row["field"], row["origin"]) == (
        "replace",
        "snapshot",
        "bot import --replace corrected.csv",
    )
    assert (row["old"]["followers"], row["new"]["followers"]) == (226482, 226481)
    # A date alone is the end of that local day (Europe/Paris): the year-end figure.
    assert row["captured_at"] == "2020-12-31T22:59:59.999999Z"
    again = run_cli(capsys, "import", "corrected.csv", "--replace")
    assert "0 snapshots added, 0 replaced, 3 already stored" in again.out
    undone = run_cli(capsys, "correct", "--undo", str(row["id"]))
    assert undone.code == 0, undone.err
    assert _start(capsys) == 226482


def test_replace_is_all_or_nothing(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (files / "bad.csv").write_text(CORRECTED + "x,DGSN_MAROC,2022-13-01,1,,\n")
    result = run_cli(capsys, "import", "bad.csv", "--replace")
    assert result.code == 2 and result.err.startswith("error: bad.csv:5: captured_at")
    assert _start(capsys) == 226482
    assert json.loads(run_cli(capsys, "corrections", "-f", "json").out) == []
