"""Where a query command's rows go: stdout or ``--output``, as text, CSV (``--excel``) or XLSX.

The format is ``--format`` when given, else the one the ``--output`` suffix names (``.xlsx``,
``.csv``, ``.json``), else the command's default. A suffix naming another format than the one
chosen is refused (``--output x.xlsx -f csv``) before anything is written: no CSV in an .xlsx.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from bot.errors import InputError
from bot.output.files import check_output_format, write_atomic
from bot.output.tables import FORMATS, Column, render
from bot.output.text import CLI

# The formats a file's suffix names.
SUFFIXES: Mapping[str, str] = {".xlsx": "xlsx", ".csv": "csv", ".json": "json"}
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write to this file (.xlsx, .csv, .json: the format, if not given)."
    ),
]
SheetFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        help="table, csv, json or xlsx (default: the --output suffix's, else table).",
    ),
]
SHEET_FORMATS: tuple[str, ...] = (*FORMATS, "xlsx")
ExcelOpt = Annotated[
    bool,
    typer.Option("--excel", help="CSV for Excel: a UTF-8 BOM and ';' between cells."),
]


def choose_format(
    fmt: str | None,
    output: Path | None,
    allowed: Sequence[str],
    *,
    default: str,
    excel: bool = False,
    suffixes: Mapping[str, str] = SUFFIXES,
) -> str:
    """The format to write, or an InputError naming the option at fault."""
    named = suffixes.get(output.suffix.lower()) if output is not None else None
    chosen = (
        fmt if fmt is not None else named if named is not None and named in allowed else default
    )
    CLI.choice("format", chosen, allowed)
    check_output_format(chosen, named, output, excel)
    return chosen


def emit(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    fmt: str,
    *,
    output: Path | None,
    title: str | None = None,
    tz: ZoneInfo | None = None,
    excel: bool = False,
    sheet: str = "Data",
) -> None:
    """Render ``rows`` to stdout or ``output`` (written whole, or not at all)."""
    if fmt == "xlsx":
        from bot.output.xlsx import rows_workbook

        assert output is not None
        save(output, rows_workbook(rows, columns, sheet=sheet, tz=tz))
        return
    buffer = io.StringIO() if output is not None else sys.stdout
    render(rows, columns, fmt, out=buffer, title=title, tz=tz, excel=excel)
    if isinstance(buffer, io.StringIO) and output is not None:
        save(output, buffer.getvalue().encode("utf-8"))


def save(output: Path, data: bytes) -> None:
    """Write ``data`` to ``output`` whole; an unwritable place is the user's one-line error."""
    try:
        write_atomic(output, data)
    except OSError as exc:
        reason = exc.strerror or exc
        raise InputError(f"--output: cannot write {output}: {reason}", field="output") from None
