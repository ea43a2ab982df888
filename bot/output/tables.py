"""Rows as an aligned Rich table, CSV or JSON: the one formatter of every query's output.

Every cell is data: a table shows it literally (``Text``, never Rich markup), a CSV cell is
literal and guarded against spreadsheet formulas, JSON keeps the value as stored. Columns that
hold a platform's words pass through the command's redactor in every format.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.output.text import NULL, literal, number, percent, plain, signed, spreadsheet

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
    # A platform's words (an error message): may echo a secret, so it is redacted.
    from_platform: bool = False


def cell(value: Any, column: Column) -> str:
    """Human text for a table cell."""
    if value is None:
        return NULL
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if column.percent and isinstance(value, int | float):
        return percent(value)
    if column.numeric and isinstance(value, int):
        return signed(value) if column.signed else number(value)
    return literal(str(value))


def csv_cell(value: Any) -> Any:
    """A CSV cell: empty for None, text literal and formula-guarded, numbers as they are."""
    if value is None:
        return ""
    shown = plain(value)
    return spreadsheet(literal(shown)) if isinstance(shown, str) else shown


def render(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    fmt: str,
    *,
    out: TextIO | None = None,
    title: str | None = None,
    document: Any = None,
    redact: Callable[[str], str] | None = None,
) -> None:
    """Write rows in the chosen format; ``document`` replaces the rows for JSON when given."""
    stream = out or sys.stdout
    if redact is not None:
        rows = redacted(rows, columns, redact)
    if fmt == "json":
        payload = document if document is not None else [dict(r) for r in rows]
        stream.write(json.dumps(plain(payload), indent=2, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow([c.key for c in columns])
        for row in rows:
            writer.writerow([csv_cell(row.get(c.key)) for c in columns])
    else:
        table = Table(title=Text(title) if title else None, show_lines=False, header_style="bold")
        for column in columns:
            table.add_column(Text(column.heading), justify="right" if column.numeric else "left")
        for row in rows:
            table.add_row(*(Text(cell(row.get(c.key), c)) for c in columns))
        Console(file=stream, width=200 if not stream.isatty() else None).print(table)


def redacted(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], redact: Callable[[str], str]
) -> list[dict[str, Any]]:
    """Copies of ``rows`` with the platform's words of each ``from_platform`` column redacted."""
    keys = [c.key for c in columns if c.from_platform]
    copies = [dict(row) for row in rows]
    for copy in copies:
        for key in keys:
            if isinstance(copy.get(key), str):
                copy[key] = redact(copy[key])
    return copies
