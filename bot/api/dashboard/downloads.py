"""The dashboard's downloads: CSV through the shared table formatter, XLSX through openpyxl.

``workbook_bytes`` is a minimal writer of one sheet (typed cells, a frozen header row, literal
labels); the `--format xlsx` of the CLI brings its own in bot/output, and the two are meant to
become one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from io import BytesIO, StringIO
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from bot.output.tables import Column, render
from bot.output.text import literal

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], tz: ZoneInfo) -> str:
    """``rows`` as the CLI's CSV (times local with their offset, cells formula-guarded)."""
    out = StringIO()
    render(list(rows), tuple(columns), "csv", out=out, tz=tz)
    return out.getvalue()


def workbook_bytes(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """One sheet: ``headers`` in a frozen bold row, then ``rows`` as typed cells."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(value) for value in row])
        for cell in sheet[sheet.max_row]:
            # openpyxl reads a string starting with "=" as a formula: a label is only text.
            if cell.data_type == "f":
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(header) + 2)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    """A value openpyxl stores typed: numbers and dates as they are, text literal and inert."""
    if isinstance(value, datetime):
        # Excel has no time zones: the local wall-clock time (the heading names the zone).
        return value.replace(tzinfo=None)
    if value is None or isinstance(value, int | float | date):
        return value
    return literal(str(value))


def table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], tz: ZoneInfo
) -> tuple[list[str], list[list[Any]]]:
    """Headings and typed rows of ``rows`` (instants as local times in ``tz``)."""
    headings = [c.heading.replace("(UTC)", f"({tz.key})") for c in columns]
    body = [[_local(row.get(c.key), tz) for c in columns] for row in rows]
    return headings, body


def _local(value: Any, tz: ZoneInfo) -> Any:
    """An instant as the local time in ``tz``; anything else as it is."""
    return value.astimezone(tz) if isinstance(value, datetime) else value
