"""Rows as a real Excel workbook (openpyxl): typed cells, a frozen header, text kept as text.

Instants become Excel date-times in the zone the caller names (Excel has no time zones, so the
heading says which, as the text formats do), dates Excel dates, numbers numbers, None an empty
cell. Text is stored as text, never as a formula: one starting ``= + - @`` gets Excel's quote
prefix too, so editing the cell does not turn it into one. Characters XML cannot hold are dropped.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.errors import InputError
from bot.output.tables import Column, heading
from bot.output.text import spreadsheet

# Excel's 1,048,576 rows per sheet, less the header.
MAX_ROWS = 1_048_575
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"
DECIMAL_FORMAT = "0.00"
# Sheet names: at most 31 characters, none of these.
_SHEET_BAD = str.maketrans({c: " " for c in "[]:*?/\\"})


def workbook_bytes(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet: str = "Data",
    tz: ZoneInfo | None = None,
) -> bytes:
    """An .xlsx file: ``headers`` in bold and frozen, then ``rows`` as typed cells."""
    book = Workbook(write_only=True)
    page = book.create_sheet(sheet.translate(_SHEET_BAD)[:31] or "Data")
    page.freeze_panes = "A2"
    page.append([_header(page, text) for text in headers])
    buffer = io.BytesIO()
    for count, row in enumerate(rows, start=1):
        if count > MAX_ROWS:
            # Finish the half-written book (openpyxl streams it) before giving up on it.
            book.save(buffer)
            raise InputError(
                f"--format: more than {MAX_ROWS:,} rows do not fit in one Excel sheet (use csv)",
                field="format",
            )
        page.append([_cell(page, value, tz) for value in row])
    book.save(buffer)
    return buffer.getvalue()


def rows_workbook(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    sheet: str = "Data",
    tz: ZoneInfo | None = None,
) -> bytes:
    """``rows`` under the columns' headings (a time heading names its zone)."""
    return workbook_bytes(
        [heading(c, tz) for c in columns],
        ([row.get(c.key) for c in columns] for row in rows),
        sheet=sheet,
        tz=tz,
    )


def _header(page: WriteOnlyWorksheet, text: str) -> Cell:
    """A bold heading cell."""
    cell = WriteOnlyCell(page, value=_text(text))
    cell.data_type = "s"
    cell.font = Font(bold=True)
    return cell


def _cell(page: WriteOnlyWorksheet, value: Any, tz: ZoneInfo | None) -> Cell | None:
    """One typed cell."""
    if value is None:
        return None
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        local = aware.astimezone(tz or UTC).replace(tzinfo=None)
        # Excel keeps milliseconds and openpyxl rounds to them: 23:59:59.999999 (a date-only
        # import, the end of its day) would show as the next day's midnight. Floor instead.
        local = local.replace(microsecond=local.microsecond // 1000 * 1000)
        cell = WriteOnlyCell(page, value=local)
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        # Excel keeps a date as the midnight that starts it.
        cell = WriteOnlyCell(page, value=datetime(value.year, value.month, value.day))
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, bool | int | float):
        cell = WriteOnlyCell(page, value=value)
        if isinstance(value, float):
            cell.number_format = DECIMAL_FORMAT
        return cell
    text = _text(str(value))
    cell = WriteOnlyCell(page, value=text)
    cell.data_type = "s"
    if spreadsheet(text) != text:
        cell.quotePrefix = True
    return cell


def _text(text: str) -> str:
    """Text XML can hold (control characters dropped)."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)
