"""The CSV reader of a history file: cells by position, the header checked once."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator

from bot.io.native_rows import (
    _ALLOWED,
    _CACHE_ACCOUNTS,
    EXPORT_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    ImportRow,
    Parsed,
    _bounded,
    _build,
    _Context,
)
from bot.io.problems import _Fatal, _RowError, _show, header_problems
from bot.output.text import unspreadsheet

_DIGITS = 19  # fewer digits always fit a BIGINT
_GROUPED = re.compile(r"[0-9]{1,3}(?:[,' _\u00a0\u202f][0-9]{3})+")
_SIGNED = re.compile(r"[+-][0-9]+")


def _csv_records(lines: Iterable[str], build: _CsvRow) -> Iterator[Parsed]:
    """Rows of a CSV file as their cells, the header given to ``build``; blank rows skipped."""
    rows = _csv_rows(lines)
    width = 0
    for line, cells in rows:
        if not (cells and cells[0].strip()) and not any(cell.strip() for cell in cells):
            continue
        if not width:
            build.header(_check_header(line, cells))
            width = len(cells)
        elif len(cells) != width:
            yield line, f"expected {width} cells as in the header, found {len(cells)}"
        else:
            yield line, cells


class _CsvRow:
    """Builds a row from a CSV row's cells by position, the header read once."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        self.columns: list[str] = []
        self.exported = False
        self.where = (0, 0, 0, 0, -1, -1)  # platform, handle, captured_at, three counts
        # (platform cell, handle cell) -> (platform, handle): one look-up for both, most rows.
        self.accounts: dict[tuple[str, str], tuple[str, str]] = {}
        # A cell as given is its check's key too: a guard (a leading quote) never starts a time.
        self.instants = ctx.instants

    def header(self, columns: list[str]) -> None:
        """Where each column is (-1: absent)."""
        self.columns = columns
        at = {name: index for index, name in enumerate(columns)}
        self.exported = any(name in at for name in EXPORT_COLUMNS)
        self.where = (
            at["platform"],
            at["handle"],
            at["captured_at"],
            at["followers"],
            at.get("following", -1),
            at.get("posts", -1),
        )

    def __call__(self, line: int, cells: list[str]) -> ImportRow:
        """Validate one row (the checks of ``_build``, in its order, without a mapping)."""
        if self.exported:  # ``bot export``'s columns: the general way
            record = dict(zip(self.columns, map(_unguarded, cells), strict=True))
            return _build(line, record, _csv_count, self.ctx)
        p, h, t, f, fo, po = self.where
        account = self.accounts.get((cells[p], cells[h]))
        if account is None:
            account = self._account(cells[p], cells[h])
        cell = cells[t]
        captured_at = self.instants.get(cell)
        if captured_at is None:
            captured_at = self.ctx.instant(_unguarded(cell))
        # Bare digits (the usual count) are read here, the test written out (a call each was a
        # tenth of the row's time); anything else is checked in full.
        cell = cells[f]
        if cell.isdigit() and cell.isascii() and len(cell) < _DIGITS:
            followers: int | None = int(cell)
        else:
            followers = _cell_count("followers", cell)
        following = posts = None
        if fo >= 0:
            cell = cells[fo]
            if cell.isdigit() and cell.isascii() and len(cell) < _DIGITS:
                following = int(cell)
            else:
                following = _cell_count("following", cell)
        if po >= 0:
            cell = cells[po]
            if cell.isdigit() and cell.isascii() and len(cell) < _DIGITS:
                posts = int(cell)
            else:
                posts = _cell_count("posts", cell)
        return ImportRow(line, *account, captured_at, followers, following, posts)

    def _account(self, platform_cell: str, handle_cell: str) -> tuple[str, str]:
        """The checked platform and handle of two cells, remembered (up to a bound)."""
        platform = self.ctx.platform(_unguarded(platform_cell))
        account = (platform, self.ctx.handle(platform, _unguarded(handle_cell)))
        if len(self.accounts) >= _CACHE_ACCOUNTS:
            self.accounts.clear()
        self.accounts[(platform_cell, handle_cell)] = account
        return account


def _cell_count(name: str, cell: str) -> int | None:
    """A count cell (see ``_csv_count``), as it was before ``bot export`` guarded it."""
    return _csv_count(name, _unguarded(cell))


def _unguarded(cell: str) -> str:
    """The cell as it was before ``bot export`` guarded it (only a quote can start a guard)."""
    return unspreadsheet(cell) if cell[:1] == "'" else cell


def _csv_rows(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """Each CSV row with the line it starts on; a syntax error stops the reading."""
    reader = csv.reader(lines, strict=True)
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _Fatal(start, f"CSV syntax error in the row starting here: {exc}") from None


def _check_header(line: int, cells: list[str]) -> list[str]:
    """The header's column names; a missing, unknown or repeated column is fatal."""
    columns = [cell.strip().lower() for cell in cells]
    problems = header_problems(columns, REQUIRED_COLUMNS, _ALLOWED)
    if problems:
        expected = ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
        raise _Fatal(line, f"bad header: {'; '.join(problems)} (expected: {expected})")
    return columns


def _csv_count(name: str, value: object) -> int | None:
    """A CSV count cell: empty (or no column) is None; else a non-negative integer."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    if text.isdigit() and text.isascii():
        return int(text) if len(text) < _DIGITS else _bounded(name, int(text))
    if _GROUPED.fullmatch(text):
        raise _RowError(
            f"{name} {_show(text)} has a thousands separator; write the bare number"
            f" ({re.sub(r'[^0-9]', '', text)})"
        )
    if _SIGNED.fullmatch(text) and text.startswith("-"):
        raise _RowError(f"{name} {text} is negative")
    raise _RowError(f"{name} {_show(text)} is not a non-negative whole number")
