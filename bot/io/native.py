"""Read and validate a history file for ``bot import``: CSV or JSON lines, no database access.

The whole file is checked before anything is returned: on any problem one ``InputError``
names the first bad line and how many more errors there were.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple
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
from bot.io.problems import _Errors, _Fatal, _one_line, _RowError, _show
from bot.kinds import Quality, Source
from bot.output.text import unspreadsheet

__all__ = [
    "EPOCH",
    "FUTURE_SKEW",
    "_ISO",
    "_Errors",
    "_Fatal",
    "_RowError",
    "_captured_at",
    "_local",
    "_one_line",
    "_show",
    "checked_time",
    "day_end",
]

REQUIRED_COLUMNS = ("platform", "handle", "captured_at", "followers")
OPTIONAL_COLUMNS = ("following", "posts")
# Written by ``bot export`` and read back, so an export imports as it was (all optional).
EXPORT_COLUMNS = ("source", "quality", "platform_id")
COUNT_COLUMNS = ("followers", "following", "posts")
_ALLOWED = frozenset(REQUIRED_COLUMNS + OPTIONAL_COLUMNS + EXPORT_COLUMNS)
_SOURCES = tuple(str(s) for s in Source)
_QUALITIES = tuple(str(q) for q in Quality)
_JSON_REQUIRED = frozenset(("platform", "handle", "captured_at"))
_MAX_COUNT = 2**63 - 1  # BIGINT
_DIGITS = re.compile(r"[0-9]+")
_GROUPED = re.compile(r"[0-9]{1,3}(?:[,' _\u00a0\u202f][0-9]{3})+")
_SIGNED = re.compile(r"[+-][0-9]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A file names few accounts and instants, each many times: their checks are remembered, up to
# these many (a year of daily rows fits; memory stays that of a batch, whatever the file).
_CACHE_ACCOUNTS = 4096
_CACHE_INSTANTS = 512

Record = Mapping[str, object]
Parsed = tuple[int, Record | list[str] | str]  # (line, record or cells, or the problem)
CountParser = Callable[[str, object], int | None]


class ImportRow(NamedTuple):
    """One historical observation read from an import file."""

    line: int  # 1-based line number in the file (CSV: counting the header as line 1)
    platform: str
    handle: str
    captured_at: datetime  # aware, UTC
    followers: int | None
    following: int | None
    posts: int | None
    precision: int = 1  # the follower count's rounding step (1 = exact)
    source: Source = Source.IMPORT  # as exported, else ``import``
    quality: Quality | None = None  # as exported; None: the quality gate decides
    platform_id: str | None = None  # the account's stable id, as exported


class _Context:
    """What rows are checked against, and the checks already made (a file repeats its accounts
    and instants many times; each distinct one is checked once, up to a bound)."""

    def __init__(
        self,
        path: Path,
        tz: ZoneInfo,
        platforms: frozenset[str],
        normalize: Callable[[str, str], str] | None,
        now: datetime | None,
    ) -> None:
        self.path = path
        self.tz = tz
        self.platforms = platforms
        self.normalize = normalize
        self.now = now
        self._platforms: dict[str, str] = {}  # only good names are kept: few
        self._handles: dict[tuple[str, str], str] = {}
        self._instants: dict[str, datetime] = {}

    def platform(self, raw: str) -> str:
        """A known platform name (see ``_platform``)."""
        found = self._platforms.get(raw)
        if found is None:
            found = self._platforms[raw] = _platform(raw, self.platforms)
        return found

    def handle(self, platform: str, raw: str) -> str:
        """A canonical handle of the platform (see ``_handle``)."""
        key = (platform, raw)
        found = self._handles.get(key)
        if found is None:
            found = _handle(platform, raw, self.normalize)
            if len(self._handles) >= _CACHE_ACCOUNTS:
                self._handles.clear()
            self._handles[key] = found
        return found

    def instant(self, raw: str) -> datetime:
        """A ``captured_at`` cell as an aware UTC instant (see ``_captured_at``)."""
        found = self._instants.get(raw)
        if found is None:
            found = _captured_at(raw, self.tz, self.now)
            if len(self._instants) >= _CACHE_INSTANTS:
                self._instants.clear()
            self._instants[raw] = found
        return found


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


# --- CSV ---------------------------------------------------------------------------------


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
        captured_at = self.ctx.instant(_unguarded(cells[t]))
        # Bare digits (the usual count) are read here; anything else is checked in full.
        cell = cells[f]
        followers = int(cell) if _bare(cell) else _cell_count("followers", cell)
        following = posts = None
        if fo >= 0:
            cell = cells[fo]
            following = int(cell) if _bare(cell) else _cell_count("following", cell)
        if po >= 0:
            cell = cells[po]
            posts = int(cell) if _bare(cell) else _cell_count("posts", cell)
        return ImportRow(line, *account, captured_at, followers, following, posts)

    def _account(self, platform_cell: str, handle_cell: str) -> tuple[str, str]:
        """The checked platform and handle of two cells, remembered (up to a bound)."""
        platform = self.ctx.platform(_unguarded(platform_cell))
        account = (platform, self.ctx.handle(platform, _unguarded(handle_cell)))
        if len(self.accounts) >= _CACHE_ACCOUNTS:
            self.accounts.clear()
        self.accounts[(platform_cell, handle_cell)] = account
        return account


def _bare(cell: str) -> bool:
    """True for a count of bare ASCII digits that fits a BIGINT whatever they are."""
    return cell.isdigit() and cell.isascii() and len(cell) < 19


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
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _Fatal(start, f"CSV syntax error in the row starting here: {exc}") from None
        yield start, cells
        start = reader.line_num + 1


def _check_header(line: int, cells: list[str]) -> list[str]:
    """The header's column names; a missing, unknown or repeated column is fatal."""
    columns = [cell.strip().lower() for cell in cells]
    problems: list[str] = []
    repeated = sorted(name for name, n in Counter(columns).items() if n > 1)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    unknown = [c for c in dict.fromkeys(columns) if c not in _ALLOWED]
    if missing:
        problems.append(f"missing required column(s): {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s): {', '.join(map(_show, unknown))}")
    if repeated:
        problems.append(f"repeated column(s): {', '.join(map(_show, repeated))}")
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
        return int(text) if len(text) < 19 else _bounded(name, int(text))
    if _GROUPED.fullmatch(text):
        raise _RowError(
            f"{name} {_show(text)} has a thousands separator; write the bare number"
            f" ({re.sub(r'[^0-9]', '', text)})"
        )
    if _SIGNED.fullmatch(text) and text.startswith("-"):
        raise _RowError(f"{name} {text} is negative")
    raise _RowError(f"{name} {_show(text)} is not a non-negative whole number")


# --- JSON lines --------------------------------------------------------------------------


def _json_records(lines: Iterable[str]) -> Iterator[Parsed]:
    """One JSON object per line; blank lines skipped."""
    for line, text in enumerate(lines, 1):
        if text.strip():
            yield line, _json_object(text)


def _json_object(text: str) -> Record | str:
    """Parse one line into an object with only known keys, or say what is wrong."""
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        return f"invalid JSON: {exc.msg} (column {exc.colno})"
    except RecursionError:
        return "invalid JSON: nested too deeply"
    except _RowError as exc:
        return str(exc)
    if not isinstance(value, dict):
        return f"expected a JSON object, found {_json_type(value)}"
    unknown = [key for key in value if key not in _ALLOWED]
    if unknown:
        return f"unknown key(s): {', '.join(map(_show, unknown))}"
    missing = sorted(_JSON_REQUIRED - value.keys())
    if missing:
        return f"missing key(s): {', '.join(missing)}"
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object that names no key twice."""
    result = dict(pairs)
    if len(result) != len(pairs):
        counts = Counter(key for key, _ in pairs)
        repeated = sorted(key for key, n in counts.items() if n > 1)
        raise _RowError(f"repeated key(s): {', '.join(map(_show, repeated))}")
    return result


def _json_count(name: str, value: object) -> int | None:
    """A JSON count: null or absent is None; else a non-negative integer."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _RowError(f"{name} must be a whole number or null, not {_json_type(value)}")
    if value < 0:
        raise _RowError(f"{name} {value} is negative")
    return _bounded(name, value)


def _json_type(value: object) -> str:
    """How JSON would name the type of ``value``, with the value when short."""
    names = {bool: "boolean", int: "number", float: "number", str: "string", list: "array"}
    return f"{names.get(type(value), 'object')} {_show(value)}"


# --- Shared checks -----------------------------------------------------------------------


def _build(line: int, record: Record, count: CountParser, ctx: _Context) -> ImportRow:
    """Validate one record into an ``ImportRow``."""
    platform = ctx.platform(_text(record, "platform"))
    handle = ctx.handle(platform, _text(record, "handle"))
    captured_at = ctx.instant(_text(record, "captured_at"))
    get = record.get
    followers, following, posts = count("followers", get("followers")), None, None
    if get("following") is not None:
        following = count("following", get("following"))
    if get("posts") is not None:
        posts = count("posts", get("posts"))
    source = Source.IMPORT
    quality = platform_id = None
    # The export columns are absent from most files: one look tells.
    if get("source") is not None or get("quality") is not None or get("platform_id") is not None:
        source = Source(_word(record, "source", _SOURCES) or Source.IMPORT)
        word = _word(record, "quality", _QUALITIES)
        quality = Quality(word) if word else None
        platform_id = _platform_id(_text(record, "platform_id"))
    return ImportRow(
        line,
        platform,
        handle,
        captured_at,
        followers,
        following,
        posts,
        source=source,
        quality=quality,
        platform_id=platform_id,
    )


def _platform_id(raw: str) -> str | None:
    """An exported account id, or None when empty."""
    platform_id = raw.strip() or None
    if platform_id is not None and (len(platform_id) > 255 or _CONTROL.search(platform_id)):
        raise _RowError(f"platform_id {_show(platform_id)} is not a platform's id")
    return platform_id


def _word(record: Record, key: str, allowed: tuple[str, ...]) -> str | None:
    """An optional word from a fixed vocabulary (as ``bot export`` writes it); empty is None."""
    text = _text(record, key).strip().lower()
    if not text:
        return None
    if text not in allowed:
        raise _RowError(f"{key} {_show(text)} is not one of {', '.join(allowed)}")
    return text


def _text(record: Record, key: str) -> str:
    """A string field; absent is empty."""
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _RowError(f"{key} must be a string, not {_json_type(value)}")
    return value


def _platform(raw: str, platforms: frozenset[str]) -> str:
    """A known platform name (compared case-insensitively)."""
    name = raw.strip()
    for candidate in (name, name.lower()):
        if candidate in platforms:
            return candidate
    known = ", ".join(sorted(platforms)) or "none"
    if not name:
        raise _RowError(f"platform is empty (known: {known})")
    raise _RowError(f"unknown platform {_show(name)} (known: {known})")


def _handle(platform: str, raw: str, normalize: Callable[[str, str], str] | None) -> str:
    """A non-empty handle, in canonical form when a normalizer is given."""
    handle = raw.strip()
    if not handle:
        raise _RowError("handle is empty")
    if _CONTROL.search(handle):
        raise _RowError(f"handle {_show(handle)} contains a control character")
    if normalize is None:
        return handle
    try:
        return normalize(platform, handle)
    except ValueError as exc:
        raise _RowError(f"invalid {platform} handle {_show(handle)}: {exc}") from None


def _check_duplicate(row: ImportRow, seen: dict[tuple[str, str, datetime], int]) -> None:
    """Refuse a second observation of one account at one instant."""
    key = (row.platform, row.handle, row.captured_at)
    first = seen.setdefault(key, row.line)
    if first != row.line:
        when = row.captured_at.isoformat().replace("+00:00", "Z")
        raise _RowError(f"duplicate of line {first}: {row.platform}:{row.handle} at {when}")


def _bounded(name: str, value: int) -> int:
    """A count that fits the database's BIGINT."""
    if value > _MAX_COUNT:
        raise _RowError(f"{name} {value} is too large")
    return value
