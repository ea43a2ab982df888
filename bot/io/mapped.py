"""Import one account's history from any CSV through a column mapping (``bot import --map``).

A Social Blade-style export (columns named after the ``daily`` entries of Social Blade's API:
``date`` plus ``followers``/``subs``, ``following``, ``tweets``/``media``…) is recognised without
``--map``. The file is validated whole, like the native format: errors name ``FILE:LINE``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from bot.io.native import (
    _GROUPED,
    _ISO,
    EPOCH,
    ImportRow,
    RowStream,
    _bounded,
    _captured_at,
    _csv_rows,
    _decoded_lines,
    _Errors,
    _Fatal,
    _handle,
    _local,
    _one_line,
    _RowError,
    _show,
    checked_time,
    day_end,
    read_rows,
    unique_rows,
)
from bot.output.text import CLI

TARGETS = ("date", "followers", "following", "posts")
_ALIASES = {"captured_at": "date"}
# Column names of the ``daily`` history entries in Social Blade's API, per counter (facts from
# its official client, SocialBlade/socialblade-js lib/interfaces/*/user.ts). Facebook's daily
# ``likes`` are page likes, not followers, so they are deliberately not inferred.
SOCIAL_BLADE_COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("date",),
    "followers": ("followers", "subs", "subscribers"),
    "following": ("following",),
    "posts": ("tweets", "media", "uploads", "videos", "posts"),
}
_DIGITS = re.compile(r"[0-9]+")
_DOTTED = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+")
_ABBREVIATED = re.compile(r"([0-9]+(?:[.,][0-9]+)?)\s*([KMB])", re.IGNORECASE)
_SCALE = {"K": 10**3, "M": 10**6, "B": 10**9}
# strptime directives that read a time of day (or a whole date-time): the value is not a date alone.
_TIME_DIRECTIVE = re.compile(r"%[HIMSfpXcTRrsz]")


@dataclass(frozen=True)
class ColumnMap:
    """How to read a foreign CSV: the account it describes and which columns hold what."""

    platform: str
    handle: str
    columns: Mapping[str, str] = field(default_factory=dict)  # target -> header; empty = infer
    date_format: str | None = None  # strptime format; None = ISO 8601
    abbreviated: bool = False  # the source writes rounded counts like "1.2M"


def parse_map(text: str) -> dict[str, str]:
    """``date=Date,followers=Followers`` -> ``{"date": "Date", "followers": "Followers"}``."""
    columns: dict[str, str] = {}
    for part in text.split(","):
        target, sep, source = part.partition("=")
        target = _ALIASES.get(target.strip().lower(), target.strip().lower())
        if not sep or not source.strip() or not target:
            raise CLI.error("map", f"expected TARGET=COLUMN pairs like date=Date, got {part!r}")
        if target not in TARGETS:
            raise CLI.error("map", f"unknown target {target!r} (expected: {', '.join(TARGETS)})")
        if target in columns:
            raise CLI.error("map", f"{target} is mapped twice")
        columns[target] = source.strip()
    for needed in ("date", "followers"):
        if needed not in columns:
            raise CLI.error("map", f"{needed}=COLUMN is required")
    return columns


def infer_columns(header: list[str]) -> dict[str, str] | str:
    """The Social Blade mapping for ``header``, or why it cannot be inferred."""
    lowered = {name.strip().lower(): name for name in header}
    columns: dict[str, str] = {}
    for target, names in SOCIAL_BLADE_COLUMNS.items():
        found = [lowered[name] for name in names if name in lowered]
        if len(found) > 1:
            return f"columns {', '.join(map(_show, found))} could all be {target}; give --map"
        if found:
            columns[target] = found[0]
    missing = [t for t in ("date", "followers") if t not in columns]
    if missing:
        return (
            f"not a Social Blade-style header (no {' or '.join(missing)} column);"
            " give --map date=COLUMN,followers=COLUMN[,following=COLUMN][,posts=COLUMN]"
        )
    return columns


def read_mapped_file(
    path: Path,
    mapping: ColumnMap,
    *,
    tz: ZoneInfo,
    normalize: Callable[[str, str], str] | None = None,
    now: datetime | None = None,
) -> list[ImportRow]:
    """Parse and validate a whole mapped CSV; raise ``InputError`` naming the first bad line.

    Dates follow the native format's time rule (``now``: see ``read_import_file``).
    """
    handle = _account_handle(mapping, normalize)
    return read_rows(path, lambda fh: _collect(fh, path, mapping, handle, (tz, now)))


When = tuple[ZoneInfo, datetime | None]  # the local zone and now


def stream_mapped_file(
    path: Path,
    mapping: ColumnMap,
    *,
    tz: ZoneInfo,
    normalize: Callable[[str, str], str] | None = None,
    now: datetime | None = None,
) -> RowStream:
    """The rows of a mapped CSV, read as they are used (see ``stream_import_file``)."""
    handle = _account_handle(mapping, normalize)
    return RowStream(path, lambda fh, errors: _rows(fh, mapping, handle, (tz, now), errors))


def _account_handle(mapping: ColumnMap, normalize: Callable[[str, str], str] | None) -> str:
    """The mapped account's handle, checked; a bad one is a usage error."""
    try:
        return _handle(mapping.platform, mapping.handle, normalize)
    except _RowError as exc:
        raise CLI.error("handle", _one_line(str(exc))) from None


def _collect(
    fh: BinaryIO, path: Path, mapping: ColumnMap, handle: str, tz: When
) -> list[ImportRow]:
    """Check every row, remembering errors; return the rows if there were none."""
    errors = _Errors()
    rows = unique_rows(_rows(fh, mapping, handle, tz, errors), errors)
    errors.raise_if_any(path)
    return rows


def _rows(
    fh: BinaryIO, mapping: ColumnMap, handle: str, tz: When, errors: _Errors
) -> Iterator[ImportRow]:
    """Each good row; problems go to ``errors`` and the reading goes on."""
    try:
        for line, cells in _records(_csv_rows(_decoded_lines(fh)), mapping):
            try:
                row = _build(line, cells, mapping, handle, tz)
            except _RowError as exc:
                errors.add(line, str(exc))
                continue
            yield row
    except _Fatal as exc:
        errors.add(exc.line, exc.problem)


def _records(
    rows: Iterator[tuple[int, list[str]]], mapping: ColumnMap
) -> Iterator[tuple[int, dict[str, str]]]:
    """Each data row as target -> cell, after checking the header against the mapping."""
    positions: dict[str, int] | None = None
    width = 0
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        if positions is None:
            positions, width = _header(line, cells, mapping), len(cells)
            continue
        if len(cells) != width:
            raise _Fatal(line, f"expected {width} cells as in the header, found {len(cells)}")
        yield line, {target: cells[index] for target, index in positions.items()}


def _header(line: int, cells: list[str], mapping: ColumnMap) -> dict[str, int]:
    """Where each mapped column is; a missing or repeated one is fatal."""
    names = [cell.strip().lower() for cell in cells]
    columns = mapping.columns or infer_columns(cells)
    if isinstance(columns, str):
        raise _Fatal(line, columns)
    counts = Counter(names)
    positions: dict[str, int] = {}
    for target, source in columns.items():
        key = source.strip().lower()
        if counts[key] == 0:
            shown = ", ".join(map(_show, cells))
            raise _Fatal(line, f"no column {_show(source)} (for {target}); the header has {shown}")
        if counts[key] > 1:
            raise _Fatal(line, f"column {_show(source)} (for {target}) appears twice")
        positions[target] = names.index(key)
    return positions


def _build(
    line: int, cells: Mapping[str, str], mapping: ColumnMap, handle: str, tz: When
) -> ImportRow:
    """Validate one mapped row into an ``ImportRow``."""
    when = _date(cells["date"], mapping.date_format, tz)
    followers, precision = _count("followers", cells.get("followers"), mapping.abbreviated)
    following, _ = _count("following", cells.get("following"), abbreviated=False)
    posts, _ = _count("posts", cells.get("posts"), abbreviated=False)
    return ImportRow(
        line, mapping.platform, handle, when, followers, following, posts, precision=precision
    )


def _date(raw: str, date_format: str | None, when: When) -> datetime:
    """The row's date: ISO 8601 by default, else ``date_format`` (local unless it has %z)."""
    tz, now = when
    text = raw.strip()
    if not text:
        raise _RowError("date is empty")
    if date_format is None:
        if not _ISO.fullmatch(text.upper()):
            raise _RowError(
                f"date {_show(text)} is not an ISO 8601 date or date-time"
                " (use --date-format for others, e.g. --date-format %Y/%m/%d)"
            )
        return _captured_at(text, tz, now)
    try:
        value = datetime.strptime(text, date_format)
    except ValueError:
        raise _RowError(f"date {_show(text)} does not match --date-format {date_format}") from None
    try:
        if value.tzinfo is not None:
            stamp = value.astimezone(UTC)
        elif not _TIME_DIRECTIVE.search(date_format):
            stamp = day_end(value.date(), tz, now)  # a date alone: the end of that local day
        else:
            stamp = _local(value, tz)
    except OverflowError:
        stamp = (datetime.min if value.year < EPOCH.year else datetime.max).replace(tzinfo=UTC)
    return checked_time(stamp, text, now)


def _count(name: str, value: str | None, abbreviated: bool) -> tuple[int | None, int]:
    """A count cell and its rounding step: bare or grouped digits; ``1.2M`` only if allowed."""
    text = (value or "").strip()
    if not text:
        return None, 1
    if _DIGITS.fullmatch(text):
        return _bounded(name, int(text)), 1
    if _GROUPED.fullmatch(text):
        # "1,234,567", "1 234 567" or "1'234": a count has no fraction, so these are exact.
        return _bounded(name, int(re.sub(r"[^0-9]", "", text))), 1
    if _DOTTED.fullmatch(text):
        raise _RowError(
            f"{name} {_show(text)} is ambiguous (thousands separator or decimal point?);"
            " write the bare number"
        )
    short = _ABBREVIATED.fullmatch(text)
    if short:
        return _abbreviated(name, text, short, allowed=abbreviated)
    if text.startswith("-") and _DIGITS.fullmatch(text[1:]):
        raise _RowError(f"{name} {text} is negative")
    raise _RowError(f"{name} {_show(text)} is not a whole number")


def _abbreviated(name: str, text: str, short: re.Match[str], *, allowed: bool) -> tuple[int, int]:
    """``1.23M`` -> (1230000, 10000): the value and the step it was rounded to."""
    digits = short.group(1).replace(",", ".")
    scale = _SCALE[short.group(2).upper()]
    decimals = len(digits.partition(".")[2])
    step = scale // 10**decimals if 10**decimals <= scale else 0
    if name != "followers":
        why = "only follower counts may be stored rounded; write the exact number"
    elif not allowed:
        why = "pass --abbreviated if the source rounds its counts"
    elif step == 0:
        why = "it has more decimals than its unit allows"
    else:
        return _bounded(name, int(Decimal(digits) * scale)), step
    raise _RowError(f"{name} {_show(text)} is an abbreviated, rounded count; {why}")
