"""Workbooks: typed cells, a frozen bold header, text that never becomes a formula."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.errors import InputError
from bot.output import xlsx
from bot.output.tables import Column
from bot.output.xlsx import rows_workbook, workbook_bytes


def _open(data: bytes) -> openpyxl.worksheet.worksheet.Worksheet:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return sheet  # type: ignore[return-value]


def test_cells_keep_their_types() -> None:
    at = datetime(2021, 6, 30, 12, 0, tzinfo=UTC)
    data = workbook_bytes(
        ["when", "day", "followers", "growth", "label", "nothing"],
        [[at, date(2021, 12, 31), 317_074, 47.28, "DGSN", None]],
        sheet="Growth: 1/2",
        tz=ZoneInfo("Africa/Casablanca"),
    )
    sheet = _open(data)
    assert sheet.title == "Growth  1 2"
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == ["when", "day", "followers", "growth", "label", "nothing"]
    assert all(c.font.b for c in sheet[1])
    when, day, followers, growth, label, nothing = sheet[2]
    # 12:00 UTC is 13:00 in Casablanca that day; Excel keeps the local wall time.
    assert when.value == datetime(2021, 6, 30, 13, 0) and when.is_date
    assert day.value == datetime(2021, 12, 31) and day.number_format == "yyyy-mm-dd"
    assert followers.value == 317_074 and followers.data_type == "n"
    assert growth.value == 47.28 and growth.data_type == "n"
    assert label.value == "DGSN" and label.data_type == "s"
    assert nothing.value is None


def test_formula_looking_text_stays_text() -> None:
    cells = ['=HYPERLINK("http://x")', "+212 600", "-1001234", "@channel", "plain\x07bell"]
    sheet = _open(workbook_bytes(["text"], [[c] for c in cells]))
    values = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in values] == [*cells[:4], "plainbell"]
    assert all(c.data_type == "s" for c in values)
    assert [c.quotePrefix for c in values] == [True, True, True, True, False]


def test_rows_workbook_names_the_zone_in_time_headings() -> None:
    columns = (Column("captured_at", "Captured (UTC)"), Column("followers", "Followers"))
    at = datetime(2021, 1, 1, tzinfo=UTC)
    paris = _open(
        rows_workbook([{"captured_at": at, "followers": 5}], columns, tz=ZoneInfo("Europe/Paris"))
    )
    assert [c.value for c in paris[1]] == ["Captured (Europe/Paris)", "Followers"]
    assert paris["A2"].value == datetime(2021, 1, 1, 1, 0)
    utc = _open(rows_workbook([{"captured_at": at, "followers": 5}], columns))
    assert utc["A1"].value == "Captured (UTC)" and utc["A2"].value == datetime(2021, 1, 1)


def test_more_rows_than_a_sheet_holds_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "MAX_ROWS", 2)
    assert _open(workbook_bytes(["n"], [[1], [2]])).max_row == 3
    with pytest.raises(InputError, match="do not fit in one Excel sheet"):
        workbook_bytes(["n"], [[1], [2], [3]])


def test_the_last_microsecond_of_a_day_stays_on_that_day() -> None:
    # A date-only import is stored as the end of its local day; Excel keeps milliseconds.
    end = datetime(2020, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    sheet = _open(workbook_bytes(["when"], [[end]], sheet="s", tz=None))
    assert sheet["A2"].value == datetime(2020, 12, 31, 23, 59, 59, 999000)
