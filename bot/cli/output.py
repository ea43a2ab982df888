"""One formatter for every query command: an aligned Rich table, CSV or JSON."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, TextIO

from rich.console import Console
from rich.table import Table

Format = Literal["table", "csv", "json"]
FORMATS: tuple[str, ...] = ("table", "csv", "json")


@dataclass(frozen=True)
class Column:
    """A column: its JSON/CSV key, its table heading, and whether it is a number."""

    key: str
    heading: str
    numeric: bool = False
    signed: bool = False
    percent: bool = False


def iso(value: datetime) -> str:
    """UTC instants as ISO 8601 with a Z."""
    text = value.isoformat().replace("+00:00", "Z")
    return text


def plain(value: Any) -> Any:
    """JSON-ready value: datetimes as ISO strings, dates as YYYY-MM-DD."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def cell(value: Any, column: Column) -> str:
    """Human text for a table cell."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if column.percent and isinstance(value, int | float):
        return f"{value:+.2f}%"
    if column.numeric and isinstance(value, int):
        return f"{value:+,}" if column.signed else f"{value:,}"
    return str(value)


def render(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    fmt: str,
    *,
    out: TextIO | None = None,
    title: str | None = None,
    document: Any = None,
) -> None:
    """Write rows in the chosen format; ``document`` replaces the rows for JSON when given."""
    stream = out or sys.stdout
    if fmt == "json":
        payload = document if document is not None else [dict(r) for r in rows]
        stream.write(json.dumps(plain(payload), indent=2, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow([c.key for c in columns])
        for row in rows:
            writer.writerow(
                ["" if row.get(c.key) is None else plain(row.get(c.key)) for c in columns]
            )
    else:
        table = Table(title=title, show_lines=False, header_style="bold")
        for column in columns:
            table.add_column(column.heading, justify="right" if column.numeric else "left")
        for row in rows:
            table.add_row(*(cell(row.get(c.key), c) for c in columns))
        Console(file=stream, width=200 if not stream.isatty() else None).print(table)
