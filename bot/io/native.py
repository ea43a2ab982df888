"""Read and validate a history file for ``bot import``: CSV or JSON lines, no database access.

The whole file is checked before anything is returned: on any problem one ``InputError``
names the first bad line and how many more errors there were.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from bot.errors import InputError
from bot.io.instants import (
    _ISO,
    EPOCH,
    FUTURE_SKEW,
    _captured_at,
    _local,
    checked_time,
    day_end,
)
from bot.io.native_csv import _GROUPED, _csv_records, _csv_rows, _CsvRow
from bot.io.native_json import _json_count, _json_records
from bot.io.native_rows import ImportRow, Parsed, _bounded, _build, _Context, _handle, _platform
from bot.io.problems import _Errors, _Fatal, _one_line, _RowError, _show

# Re-exported: other modules import these from here, wherever they are defined.
__all__ = [
    "EPOCH",
    "FUTURE_SKEW",
    "_GROUPED",
    "_ISO",
    "ImportRow",
    "_Errors",
    "_Fatal",
    "_RowError",
    "_bounded",
    "_captured_at",
    "_csv_rows",
    "_handle",
    "_local",
    "_one_line",
    "_platform",
    "_show",
    "checked_time",
    "day_end",
]


def read_import_file(
    path: Path,
    *,
    tz: ZoneInfo,
    platforms: Collection[str],
    normalize: Callable[[str, str], str] | None = None,
    now: datetime | None = None,
) -> list[ImportRow]:
    """Parse and validate a whole CSV or JSON-lines history file; raise ``InputError`` if bad.

    With ``now``, a time later than ``now`` (plus ``FUTURE_SKEW``) is refused and a date-only
    value is the end of that local day, but never later than ``now``.
    """
    ctx = _Context(path, tz, frozenset(platforms), normalize, now)
    return read_rows(path, lambda fh: _collect(fh, ctx))


def stream_import_file(
    path: Path,
    *,
    tz: ZoneInfo,
    platforms: Collection[str],
    normalize: Callable[[str, str], str] | None = None,
    now: datetime | None = None,
) -> RowStream:
    """The rows of a CSV or JSON-lines history file, read as they are used (bounded memory).

    A second observation of one account at one instant is the reader's to find
    (``RowStream.reject``): the stream does not remember the rows it gave.
    """
    ctx = _Context(path, tz, frozenset(platforms), normalize, now)
    return RowStream(path, lambda fh, errors: _rows(fh, ctx, errors))


class RowStream:
    """A history file's good rows, in file order; its problems are kept for ``finish``."""

    def __init__(
        self, path: Path, rows: Callable[[BinaryIO, _Errors], Iterator[ImportRow]]
    ) -> None:
        self.path = path
        self.read = 0
        self._errors = _Errors()
        self._rows = rows

    def __iter__(self) -> Iterator[ImportRow]:
        """Each good row; an unreadable file is an ``InputError``."""
        try:
            with self.path.open("rb") as fh:
                for row in self._rows(fh, self._errors):
                    self.read += 1
                    yield row
        except OSError as exc:
            raise InputError(
                _one_line(f"{self.path}: cannot read the file: {exc.strerror or exc}")
            ) from None

    @property
    def failed(self) -> bool:
        """True once any problem was found: nothing should be kept."""
        return self._errors.first is not None

    def reject(self, line: int, problem: str) -> None:
        """A problem the reader found with a row the stream gave."""
        self._errors.add(line, problem)

    def finish(self) -> None:
        """Raise one ``InputError`` for every problem found, or when the file had no rows."""
        self._errors.raise_if_any(self.path)
        if not self.read:
            raise InputError(_one_line(f"{self.path}: no rows to import"))


def read_rows(path: Path, collect: Callable[[BinaryIO], list[ImportRow]]) -> list[ImportRow]:
    """Open ``path`` and collect its rows; an unreadable or empty file is an ``InputError``."""
    try:
        with path.open("rb") as fh:
            rows = collect(fh)
    except OSError as exc:
        raise InputError(
            _one_line(f"{path}: cannot read the file: {exc.strerror or exc}")
        ) from None
    if not rows:
        raise InputError(_one_line(f"{path}: no rows to import"))
    return rows


def _collect(fh: BinaryIO, ctx: _Context) -> list[ImportRow]:
    """Check every record, remembering errors; return the rows if there were none."""
    errors = _Errors()
    rows = unique_rows(_rows(fh, ctx, errors), errors)
    errors.raise_if_any(ctx.path)
    return rows


def unique_rows(rows: Iterable[ImportRow], errors: _Errors) -> list[ImportRow]:
    """The rows, a second observation of one account at one instant recorded as an error."""
    found: list[ImportRow] = []
    seen: dict[tuple[str, str, datetime], int] = {}
    for row in rows:
        try:
            _check_duplicate(row, seen)
        except _RowError as exc:
            errors.add(row.line, str(exc))
            continue
        found.append(row)
    return found


def _rows(fh: BinaryIO, ctx: _Context, errors: _Errors) -> Iterator[ImportRow]:
    """Each good row of the file; problems go to ``errors`` and the reading goes on."""
    try:
        records, build = _open_records(_decoded_lines(fh), ctx)
        for line, record in records:
            try:
                if isinstance(record, str):
                    raise _RowError(record)
                row = build(line, record)
            except _RowError as exc:
                errors.add(line, str(exc))
                continue
            yield row
    except _Fatal as exc:
        errors.add(exc.line, exc.problem)


def _decoded_lines(fh: BinaryIO) -> Iterator[str]:
    """The file's lines as text (UTF-8, optional BOM), line endings kept."""
    for number, raw in enumerate(fh, 1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise _Fatal(number, f"not UTF-8 text (byte {exc.start + 1} of the line)") from None


Builder = Callable[[int, Any], ImportRow]


def _open_records(lines: Iterator[str], ctx: _Context) -> tuple[Iterator[Parsed], Builder]:
    """Choose the format by content: JSON lines if the first non-blank character is ``{``."""
    head: list[str] = []
    first = ""
    for text in lines:
        head.append(text)
        if text.strip():
            first = text.lstrip()[0]
            break
    everything = chain(head, lines)
    if first == "{":
        return _json_records(everything), lambda line, record: _build(
            line, record, _json_count, ctx
        )
    build = _CsvRow(ctx)
    return _csv_records(everything, build), build


def _check_duplicate(row: ImportRow, seen: dict[tuple[str, str, datetime], int]) -> None:
    """Refuse a second observation of one account at one instant."""
    key = (row.platform, row.handle, row.captured_at)
    first = seen.setdefault(key, row.line)
    if first != row.line:
        when = row.captured_at.isoformat().replace("+00:00", "Z")
        raise _RowError(f"duplicate of line {first}: {row.platform}:{row.handle} at {when}")
