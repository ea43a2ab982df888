"""Rows as an aligned Rich table, CSV or JSON: the one formatter of every query's output."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TextIO

from rich.console import Console
from rich.table import Table

from bot.output.text import NULL, number, percent, plain, signed

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
