"""--format xlsx, --excel and --output suffixes on snapshots, growth, report and export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from tests.cli.test_cli import env  # noqa: F401  (the shared fixture)
from tests.helpers.cli import run_cli


def _sheet(path: Path) -> openpyxl.worksheet.worksheet.Worksheet:
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    return sheet  # type: ignore[return-value]


def test_export_xlsx_opens_in_openpyxl_with_typed_cells(
    env: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_cli(capsys, "import", "seed.csv").code == 0
    result = run_cli(capsys, "export", "--format", "xlsx", "--output", "all.xlsx")
    assert result.code == 0, result.err
    assert "5 snapshots exported" in result.err
    sheet = _sheet(env / "all.xlsx")
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["platform", "handle", "label", "captured_at (UTC)"]
    rows = {(r[1].value, r[4].value): r for r in sheet.iter_rows(min_row=2)}
    assert len(rows) == 5
    bsky = rows[("dgsn.example.com", 282638)]
    # A date imported as the end of that local day (Casablanca, UTC+1), exported in UTC, to the
    # millisecond Excel keeps (floored: never the next day).
    assert bsky[2].value == "DGSN"
    assert bsky[3].value == datetime(2021, 12, 31, 22, 59, 59, 999000)
    assert bsky[3].is_date
    assert bsky[4].value == 282638 and bsky[4].data_type == "n"
    assert bsky[5].value is None  # not reported stays empty, never 0
    # Without --format the suffix decides.
    assert run_cli(capsys, "export", "-o", "again.xlsx").code == 0
    assert _sheet(env / "again.xlsx").max_row == 6


def test_export_xlsx_keeps_the_label_of_a_removed_account(
    env: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_cli(capsys, "import", "seed.csv").code == 0
    # The Bluesky account leaves the config: removed, its history (and label) kept.
    (env / "accounts.toml").write_text('[bot]\ntimezone = "Africa/Casablanca"\n')
    listed = run_cli(capsys, "accounts", "--all")
    assert "removed" in listed.out, listed.out
    result = run_cli(capsys, "export", "--format", "xlsx", "--output", "all.xlsx")
    assert result.code == 0, result.err
    labels = {r[1].value: r[2].value for r in _sheet(env / "all.xlsx").iter_rows(min_row=2)}
    assert labels["dgsn.example.com"] == "DGSN"


@pytest.mark.parametrize(
    "args",
    [
        ("export", "--output", "x.xlsx", "--format", "csv"),
        ("export", "--output", "x.csv", "--format", "xlsx"),
        ("export", "--format", "xlsx"),
        ("export", "--format", "jsonl", "--excel"),
        ("snapshots", "bluesky:dgsn.example.com", "--output", "x.xlsx", "--format", "csv"),
        ("growth", "--output", "x.json", "--format", "xlsx"),
        ("growth", "--format", "xlsx"),
        ("report", "--year", "2021", "--output", "x.xlsx", "--format", "markdown"),
        ("report", "--year", "2021", "--format", "text", "--excel"),
    ],
)
def test_an_output_that_does_not_match_the_format_is_refused(
    env: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
) -> None:
    result = run_cli(capsys, *args)
    assert result.code == 2
    assert result.err.startswith("error: --") and result.err.count("\n") == 1
    assert not list(env.glob("x.*"))


def test_excel_csv_has_a_bom_and_semicolons(
    env: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_cli(capsys, "import", "seed.csv")
    assert run_cli(capsys, "export", "--excel", "-o", "excel.csv").code == 0
    raw = (env / "excel.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfplatform;handle;captured_at;")
    growth = run_cli(
        capsys, "growth", "--period", "365d", "--at", "2021-12-31", "--excel", "-f", "csv"
    )
    assert growth.out.startswith("\ufeffplatform;handle;followers;")
    report = run_cli(capsys, "report", "--year", "2021", "--excel", "-o", "report.csv")
    assert report.code == 0, report.err
    text = (env / "report.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("platform;handle;start_date;")


def test_snapshots_growth_and_report_as_workbooks(
    env: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_cli(capsys, "import", "seed.csv")
    snaps = run_cli(capsys, "snapshots", "bluesky:dgsn.example.com", "-o", "s.xlsx")
    assert snaps.code == 0, snaps.err
    sheet = _sheet(env / "s.xlsx")
    assert sheet["A1"].value == "Captured (Africa/Casablanca)"
    # The end of 31 Dec 2020, local: still that day in the sheet.
    assert sheet["A2"].value == datetime(2020, 12, 31, 23, 59, 59, 999000)
    assert sheet["B2"].value == 191903
    growth = run_cli(
        capsys, "growth", "--period", "365d", "--at", "2021-12-31", "-f", "xlsx", "-o", "g.xlsx"
    )
    assert growth.code == 0, growth.err
    rows = list(_sheet(env / "g.xlsx").iter_rows(values_only=True))
    assert rows[0][:3] == ("Platform", "Handle", "Label")
    bsky = next(r for r in rows if r[1] == "dgsn.example.com")
    assert bsky[2] == "DGSN" and bsky[6] == pytest.approx(47.28)
    report = run_cli(capsys, "report", "--year", "2021", "-o", "r.xlsx")
    assert report.code == 0, report.err
    rows = list(_sheet(env / "r.xlsx").iter_rows(values_only=True))
    assert rows[0][:4] == ("Platform", "Handle", "Label", "Start")
    bsky = next(r for r in rows if r[1] == "dgsn.example.com")
    assert bsky[2:5] == ("DGSN", datetime(2020, 12, 31), 191903)
    assert bsky[8] == pytest.approx(47.28)
