"""The report as a workbook: one row per account, labels included, dates and numbers typed."""

from __future__ import annotations

from collections.abc import Sequence

from bot.config import Settings
from bot.output.tables import Column
from bot.output.xlsx import rows_workbook
from bot.query.report import Period
from bot.query.report_text import title
from bot.query.rows import REPORT_COLUMNS, ReportEntry, report_json_line, report_table_rows

# The report's columns with the account's label after its handle.
REPORT_SHEET_COLUMNS = (*REPORT_COLUMNS[:2], Column("label", "Label"), *REPORT_COLUMNS[2:])


def report_workbook(period: Period, entries: Sequence[ReportEntry], settings: Settings) -> bytes:
    """The report's account rows as an .xlsx file (dates are local days in bot.timezone)."""
    rows = report_table_rows([report_json_line(entry, settings) for entry in entries])
    for row, entry in zip(rows, entries, strict=True):
        row["label"] = entry.label
    return rows_workbook(rows, REPORT_SHEET_COLUMNS, sheet=title(period), tz=settings.timezone)
