"""The dashboard's downloads: CSV through the shared table formatter, XLSX through the CLI's
workbook writer (bot/output/xlsx.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

from bot.output import xlsx
from bot.output.tables import Column, render

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], tz: ZoneInfo) -> str:
    """``rows`` as the CLI's CSV (times local with their offset, cells formula-guarded)."""
    out = StringIO()
    render(list(rows), tuple(columns), "csv", out=out, tz=tz)
    return out.getvalue()


def workbook_bytes(headers: Sequence[str], rows: Sequence[Sequence[Any]], tz: ZoneInfo) -> bytes:
    """One sheet through the CLI's writer: typed cells, a frozen header, inert text."""
    return xlsx.workbook_bytes(headers, rows, sheet="Data", tz=tz)


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
