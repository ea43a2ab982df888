"""Write snapshots out as CSV or JSON lines for ``bot export``; the caller queries the database.

The CSV is re-importable by ``bot import``, quality flags, sources and stable ids included.
A text cell a spreadsheet would run as a formula (starting ``= + - @``, tab or CR: a Telegram
``@channel``, a chat id ``-100…``) gets a leading ``'``, which ``bot import`` removes again.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TextIO

from bot.errors import InputError
from bot.output.files import check_output_format
from bot.output.text import spreadsheet

ExportFormat = Literal["csv", "jsonl", "xlsx"]
EXPORT_COLUMNS = (
    "platform",
    "handle",
    "captured_at",
    "followers",
    "following",
    "posts",
    "source",
    "quality",
    "platform_id",
)
_FORMAT_NAMES: dict[str, ExportFormat] = {
    "csv": "csv",
    "jsonl": "jsonl",
    "json": "jsonl",
    "ndjson": "jsonl",
    "xlsx": "xlsx",
}
_SUFFIX_FORMATS: dict[str, ExportFormat] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".xlsx": "xlsx",
}
EXCEL_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One stored snapshot, as exported."""

    platform: str
    handle: str
    captured_at: datetime  # aware; a naive value is taken as UTC (SQLite returns those)
    followers: int | None
    following: int | None
    posts: int | None
    source: str
    quality: str
    platform_id: str | None = None  # the account's stable id, when the platform gave one


def write_export(
    rows: Iterable[ExportRow], out: TextIO, fmt: ExportFormat, *, excel: bool = False
) -> int:
    """Stream ``rows`` to ``out`` as CSV (with a header) or JSON lines; return how many.

    ``excel``: CSV as Excel opens it, with a UTF-8 BOM and ``;`` between cells.
    """
    if fmt == "csv":
        return _write_csv(rows, out, excel=excel)
    if fmt == "jsonl":
        return _write_jsonl(rows, out)
    raise InputError(f"unknown export format {fmt!r} (use csv or jsonl)")


def export_workbook(rows: Iterable[ExportRow], labels: Mapping[tuple[str, str], str]) -> bytes:
    """The snapshots as an .xlsx workbook: times as UTC date-times, labels after handles."""
    from bot.output.xlsx import workbook_bytes

    headers = [*EXPORT_COLUMNS[:2], "label", "captured_at (UTC)", *EXPORT_COLUMNS[3:]]
    cells = (
        (
            row.platform,
            row.handle,
            labels.get((row.platform, row.handle)),
            row.captured_at,
            row.followers,
            row.following,
            row.posts,
            row.source,
            row.quality,
        )
        for row in rows
    )
    return workbook_bytes(headers, cells, sheet="Snapshots")


def format_for_path(
    path: Path | None, requested: str | None, *, excel: bool = False
) -> ExportFormat:
    """The format to write: ``--format`` if given, else by the file's extension; stdout is CSV.

    A file whose extension names another format than ``--format`` is refused, so an ``.xlsx``
    never holds CSV text; xlsx needs a file, ``--excel`` a CSV.
    """
    named = _SUFFIX_FORMATS.get(path.suffix.lower()) if path is not None else None
    if requested is not None:
        name = requested.strip().lower()
        if name not in _FORMAT_NAMES:
            raise InputError(
                f"--format: unknown export format {requested!r} (use csv, jsonl or xlsx)",
                field="format",
            )
        chosen = _FORMAT_NAMES[name]
    else:
        chosen = named or "csv"
    check_output_format(chosen, named, path, excel)
    return chosen


def format_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``; microseconds only when there are any."""
    utc = value if value.tzinfo is None else value.astimezone(UTC)
    spec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _write_csv(rows: Iterable[ExportRow], out: TextIO, *, excel: bool) -> int:
    """CSV with a header; None is an empty cell, text is guarded against formulas."""
    if excel:
        out.write(EXCEL_BOM)
    writer = csv.writer(out, lineterminator="\n", delimiter=";" if excel else ",")
    writer.writerow(EXPORT_COLUMNS)
    written = 0
    for row in rows:
        writer.writerow([_cell(value) for value in _values(row)])
        written += 1
    return written


def _cell(value: str | int | None) -> str | int:
    """One CSV cell: empty for None, a formula-guarded string, or a number."""
    if value is None:
        return ""
    return spreadsheet(value) if isinstance(value, str) else value


def _write_jsonl(rows: Iterable[ExportRow], out: TextIO) -> int:
    """One JSON object per line; None is null."""
    written = 0
    for row in rows:
        record = dict(zip(EXPORT_COLUMNS, _values(row), strict=True))
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        written += 1
    return written


def _values(row: ExportRow) -> tuple[str | int | None, ...]:
    """The row's values in ``EXPORT_COLUMNS`` order, the time formatted."""
    return (
        row.platform,
        row.handle,
        format_timestamp(row.captured_at),
        row.followers,
        row.following,
        row.posts,
        row.source,
        row.quality,
        row.platform_id,
    )
