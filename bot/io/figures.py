"""``bot import FILE --figures``: the figures a team published, for teams with totals, not counters.

The file is CSV with the columns ``platform,handle,from,to,metric,value`` (any order). ``from``
and ``to`` are local days in ``bot.timezone``, both included:

- ``followers``: the follower count at the end of ``to`` (``from`` may be empty), stored as an
  imported snapshot at the last instant of that day;
- ``posts_published``: the posts published from the start of ``from`` to the end of ``to``,
  stored as a published total that the report uses for exactly that span.

The whole file is validated first, like the other formats (``FILE:LINE: problem``), then written
in one transaction; a stored figure with another value is replaced and the replacement recorded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import day_bounds
from bot.config import Settings
from bot.errors import InputError
from bot.io.native import (
    _GROUPED,
    _csv_rows,
    _decoded_lines,
    _Errors,
    _Fatal,
    _handle,
    _one_line,
    _platform,
    _RowError,
    _show,
)
from bot.io.problems import header_problems
from bot.platforms import REGISTRY
from bot.store import figures as store
from bot.store.accounts import get_or_create
from bot.store.corrections import Audit

COLUMNS = ("platform", "handle", "from", "to", "metric", "value")
FOLLOWERS = "followers"
METRICS = (FOLLOWERS, store.POSTS_PUBLISHED)
_MAX = 2**63 - 1  # BIGINT
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class FigureRow:
    """One published figure read from a figures file."""

    line: int
    platform: str
    handle: str
    metric: str  # one of METRICS
    from_date: date | None  # None only for a followers count
    to_date: date
    value: int


class FigureCounts(NamedTuple):
    """What a figures import did."""

    read: int
    added: int
    replaced: int


def read_figures_file(
    path: Path,
    *,
    today: date,
    tz: ZoneInfo,
    platforms: Collection[str],
    normalize: Callable[[str, str], str] | None = None,
) -> list[FigureRow]:
    """Parse and validate a whole figures file; raise ``InputError`` naming the first bad line."""
    try:
        with path.open("rb") as fh:
            rows = _collect(fh, path, today, tz, frozenset(platforms), normalize)
    except OSError as exc:
        raise InputError(
            _one_line(f"{path}: cannot read the file: {exc.strerror or exc}")
        ) from None
    if not rows:
        raise InputError(_one_line(f"{path}: no figures to import"))
    return rows


def import_figures(
    engine: Engine, settings: Settings, path: Path, now: datetime, audit: Audit
) -> FigureCounts:
    """Import a figures file in one transaction; re-importing the same file adds nothing."""
    tz = settings.timezone
    rows = read_figures_file(
        path,
        today=now.astimezone(tz).date(),
        tz=tz,
        platforms=REGISTRY,
        normalize=lambda platform, handle: REGISTRY[platform].normalize_handle(handle),
    )
    with Session(engine) as session:
        ids = {
            key: get_or_create(
                session, key[0], key[1], now, any_case=REGISTRY[key[0]].handle_any_case(key[1])
            ).id
            or 0
            for key in sorted({(r.platform, r.handle) for r in rows})
        }
        counts = [
            store.Count(ids[(r.platform, r.handle)], day_bounds(r.to_date, tz)[1], r.value)
            for r in rows
            if r.metric == FOLLOWERS
        ]
        totals = [
            store.Total(ids[(r.platform, r.handle)], r.metric, r.from_date, r.to_date, r.value)
            for r in rows
            if r.metric != FOLLOWERS and r.from_date is not None
        ]
        connection = session.connection()
        added, replaced = store.save_counts(connection, counts, audit)
        more, again = store.save_totals(connection, totals, path.name, audit)
        session.commit()
    return FigureCounts(len(rows), added + more, replaced + again)


def _collect(
    fh: BinaryIO,
    path: Path,
    today: date,
    tz: ZoneInfo,
    platforms: frozenset[str],
    normalize: Callable[[str, str], str] | None,
) -> list[FigureRow]:
    """Check every row, remembering errors; the rows if there were none."""
    errors = _Errors()
    rows: list[FigureRow] = []
    seen: dict[tuple[object, ...], int] = {}
    try:
        for line, cells in _records(_csv_rows(_decoded_lines(fh))):
            try:
                row = _build(line, cells, platforms, normalize)
                _check(row, today, tz, seen)
            except _RowError as exc:
                errors.add(line, str(exc))
                continue
            rows.append(row)
    except _Fatal as exc:
        errors.add(exc.line, exc.problem)
    errors.raise_if_any(path)
    return rows


def _records(rows: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, dict[str, str]]]:
    """Each data row as column -> cell, after checking the header; blank rows skipped."""
    columns: list[str] | None = None
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        if columns is None:
            columns = _header(line, cells)
        elif len(cells) != len(columns):
            raise _Fatal(
                line, f"expected {len(columns)} cells as in the header, found {len(cells)}"
            )
        else:
            yield line, dict(zip(columns, cells, strict=True))


def _header(line: int, cells: list[str]) -> list[str]:
    """The column names; a missing, unknown or repeated one is fatal."""
    columns = [cell.strip().lower() for cell in cells]
    problems = header_problems(columns, COLUMNS, COLUMNS)
    if problems:
        raise _Fatal(line, f"bad header: {'; '.join(problems)} (expected: {', '.join(COLUMNS)})")
    return columns


def _build(
    line: int,
    cells: dict[str, str],
    platforms: frozenset[str],
    normalize: Callable[[str, str], str] | None,
) -> FigureRow:
    """Validate one row into a ``FigureRow``."""
    platform = _platform(cells["platform"], platforms)
    handle = _handle(platform, cells["handle"], normalize)
    metric = cells["metric"].strip().lower()
    if metric not in METRICS:
        raise _RowError(
            f"metric {_show(cells['metric'].strip())} is not one of {', '.join(METRICS)}"
        )
    first = _day("from", cells["from"])
    last = _day("to", cells["to"])
    if last is None:
        raise _RowError("to is empty")
    if first is None and metric != FOLLOWERS:
        raise _RowError(f"from is empty: {metric} is a total from one day to another")
    return FigureRow(line, platform, handle, metric, first, last, _value(cells["value"]))


def _check(row: FigureRow, today: date, tz: ZoneInfo, seen: dict[tuple[object, ...], int]) -> None:
    """A span that is over and in order, and no figure given twice."""
    if row.from_date is not None and row.to_date < row.from_date:
        raise _RowError(f"to {row.to_date} is before from {row.from_date}")
    if row.to_date > today:
        raise _RowError(f"to {row.to_date} is after today ({today} in {tz.key})")
    # A follower count is at the end of ``to`` whatever ``from`` says.
    span = (row.to_date,) if row.metric == FOLLOWERS else (row.from_date, row.to_date)
    # One account however spelt where the platform says so (x: DGSN_MAROC is dgsn_maroc).
    folds = row.platform in REGISTRY and REGISTRY[row.platform].handle_any_case(row.handle)
    handle = row.handle.lower() if folds else row.handle
    first = seen.setdefault((row.platform, handle, row.metric, *span), row.line)
    if first != row.line:
        shown = (
            f"{row.from_date}..{row.to_date}" if row.metric != FOLLOWERS else f"on {row.to_date}"
        )
        raise _RowError(
            f"duplicate of line {first}: {row.platform}:{row.handle} {row.metric} {shown}"
        )


def _day(name: str, raw: str) -> date | None:
    """A local day ``YYYY-MM-DD``; empty is None."""
    text = raw.strip()
    if not text:
        return None
    try:
        if len(text) != len("2021-12-31"):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise _RowError(f"{name} {_show(text)} is not a date like 2021-12-31") from None


def _value(raw: str) -> int:
    """A whole number, bare or grouped in threes (``1,061``, ``282 638``)."""
    text = raw.strip()
    if not text:
        raise _RowError("value is empty")
    if not (_DIGITS.fullmatch(text) or _GROUPED.fullmatch(text)):
        raise _RowError(f"value {_show(text)} is not a whole number")
    digits = re.sub(r"[^0-9]", "", text)
    if len(digits) > 19 or int(digits) > _MAX:
        raise _RowError(f"value {digits[:30]} is too large")
    return int(digits)
