"""Write snapshots out as CSV or JSON lines for ``bot export``; the caller queries the database.

The CSV is re-importable by ``bot import``, quality flags, sources and stable ids included.
A text cell a spreadsheet would run as a formula (starting ``= + - @``, tab or CR: a Telegram
``@channel``, a chat id ``-100…``) gets a leading ``'``, which ``bot import`` removes again.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TextIO

from bot.errors import InputError
from bot.output.text import spreadsheet

ExportFormat = Literal["csv", "jsonl"]
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
}
_JSONL_SUFFIXES = frozenset((".jsonl", ".ndjson", ".json"))


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


def write_export(rows: Iterable[ExportRow], out: TextIO, fmt: ExportFormat) -> int:
    """Stream ``rows`` to ``out`` as CSV (with a header) or JSON lines; return how many."""
    if fmt == "csv":
        return _write_csv(rows, out)
    if fmt == "jsonl":
        return _write_jsonl(rows, out)
    raise InputError(f"unknown export format {fmt!r} (use csv or jsonl)")


def format_for_path(path: Path | None, requested: str | None) -> ExportFormat:
    """The format to write: ``--format`` if given, else by the file's extension; stdout is CSV."""
    if requested is not None:
        name = requested.strip().lower()
        if name not in _FORMAT_NAMES:
            raise InputError(f"unknown export format {requested!r} (use csv or jsonl)")
        return _FORMAT_NAMES[name]
    if path is not None and path.suffix.lower() in _JSONL_SUFFIXES:
        return "jsonl"
    return "csv"


def format_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``; microseconds only when there are any."""
    utc = value if value.tzinfo is None else value.astimezone(UTC)
    spec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _write_csv(rows: Iterable[ExportRow], out: TextIO) -> int:
    """CSV with a header; None is an empty cell, text is guarded against formulas."""
    writer = csv.writer(out, lineterminator="\n")
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
