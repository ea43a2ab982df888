"""The user's words -> validated arguments: one parser for the CLI and the API.

Each function takes what the user typed, as the face received it (strings; Typer and FastAPI
have already made ``--year`` an int), plus the time zone and ``now`` where a word like
``today`` needs them, and returns a typed value or raises an ``InputError`` whose ``field``
names the argument. ``spell`` is the face's way of naming its options (``bot.output.text.CLI`` or
``API``), so the same mistake reads ``--date: ...`` on the command line and ``date: ...`` (with
``"field": "date"``) in the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from bot import growth
from bot.clock import day_bounds
from bot.config import Settings
from bot.digest import periods
from bot.errors import InputError
from bot.io.mapped import ColumnMap, parse_map
from bot.kinds import Quality
from bot.output.text import Spelling
from bot.platforms import REGISTRY
from bot.query import report
from bot.query.rows import EVERY, Every
from bot.store.corrections import Change

FIRST_YEAR, LAST_YEAR = 1970, 9998
# Every date the user names lies within these days, in any zone: a day's end, a period's
# tolerance or a week's span past them would overflow Python's and matplotlib's datetimes.
FIRST_DAY, LAST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)
MAX_COUNT = 2**63 - 1  # what a snapshot's BIGINT counter holds


def in_range(moment: datetime | date) -> bool:
    """Whether a day or an instant (its own zone's calendar day) lies within the bounds."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return FIRST_DAY <= day <= LAST_DAY


def _bounded(value: datetime | date, text: str, field: str, spell: Spelling) -> None:
    """Refuse a date outside ``FIRST_DAY``..``LAST_DAY`` in one line naming the field."""
    if not in_range(value):
        raise spell.error(
            field,
            f"expected a date from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}, got {text!r}",
        )


def when(text: str, tz: ZoneInfo, *, field: str, end_of_day: bool, spell: Spelling) -> datetime:
    """A date (the local day's start, or end) or an ISO time (local if naive), as UTC."""
    stripped = text.strip()
    try:
        if len(stripped) == 10:
            chosen = date.fromisoformat(stripped)
            _bounded(chosen, text, field, spell)
            first, last = day_bounds(chosen, tz)
            return last if end_of_day else first
        moment = datetime.fromisoformat(stripped.replace("Z", "+00:00"))
    except ValueError:
        raise spell.error(
            field, f"expected a date like 2021-12-31 or an ISO time, got {text!r}"
        ) from None
    _bounded(moment, text, field, spell)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def since_until(
    since: str | None, until: str | None, tz: ZoneInfo, spell: Spelling
) -> tuple[datetime | None, datetime | None]:
    """``--since`` (a day from its start) and ``--until`` (a day to its end), either optional."""
    first = when(since, tz, field="since", end_of_day=False, spell=spell) if since else None
    last = when(until, tz, field="until", end_of_day=True, spell=spell) if until else None
    return first, last


def every(text: str, spell: Spelling) -> Every:
    """``raw``, ``day``, ``week`` or ``month``: which snapshots of a history to show."""
    return cast(Every, spell.choice("every", text, EVERY))


def growth_period(text: str, spell: Spelling) -> str:
    """``1d``, ``7d``, ``30d``, ``90d``, ``365d`` or ``ytd`` (any case, spaces ignored)."""
    try:
        return growth.parse_period(text)
    except ValueError as exc:
        raise spell.error("period", str(exc)) from None


def at(text: str | None, tz: ZoneInfo, now: datetime, spell: Spelling) -> datetime:
    """The end of a growth period: ``--at`` (a date: the end of that day), else ``now``."""
    return when(text, tz, field="at", end_of_day=True, spell=spell) if text else now


def report_period(
    year: int | None,
    start: str | None,
    end: str | None,
    settings: Settings,
    spell: Spelling,
    *,
    now: datetime,
) -> report.Period:
    """A calendar ``year``, or ``--from`` to ``--to``: exactly one of the two, begun by ``now``.

    A period not over yet ends at ``now`` (the report says so); one not begun is a mistake.
    """
    in_range = spell.given(("from", "D"), ("to", "D"))
    if (year is None) == (start is None and end is None):
        either = spell.given(("year", "YYYY"))
        raise InputError(
            f"report: give either {either} or {in_range} (exactly one of them)", field="year"
        )
    if year is not None:
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise spell.error("year", f"expected a year like 2021, got {year}")
        period = report.year_period(year, settings, now)
        if period.first > now:
            raise spell.error("year", _not_begun(f"the year {year}", now, settings.timezone))
        return period
    if start is None or end is None:
        missing = "to" if end is None else "from"
        raise InputError(f"report: {spell.name(missing)} is missing ({in_range})", field=missing)
    tz = settings.timezone
    first = when(start, tz, field="from", end_of_day=False, spell=spell)
    last = when(end, tz, field="to", end_of_day=True, spell=spell)
    if last < first:
        raise InputError(
            f"{spell.name('to')} ({end.strip()}) is before {spell.name('from')} ({start.strip()})",
            field="to",
        )
    if first > now:
        raise spell.error("from", _not_begun(f"{start.strip()}", now, tz))
    return report.range_period(first, last, settings, shown=(start, end), now=now)


def _not_begun(what: str, now: datetime, tz: ZoneInfo) -> str:
    """``the year 2027 has not started yet in UTC (today is 2026-12-01)``."""
    return f"{what} has not started yet in {tz.key} (today is {now.astimezone(tz).date()})"


def digest_period(text: str, spell: Spelling) -> str:
    """``day``, ``week`` (Monday to Sunday) or ``month``."""
    return spell.choice("period", text, periods.PERIODS)


def day(text: str, tz: ZoneInfo, now: datetime, spell: Spelling) -> date:
    """``YYYY-MM-DD``, ``today`` or ``yesterday`` (in ``tz``) as a local day."""
    word = text.strip().lower()
    today = now.astimezone(tz).date()
    if word in ("today", "yesterday"):
        return today if word == "today" else today - timedelta(days=1)
    try:
        chosen = date.fromisoformat(word)
    except ValueError:
        raise spell.error(
            "date", f"expected a date like 2024-03-31, today or yesterday, got {text!r}"
        ) from None
    _bounded(chosen, text, "date", spell)
    return chosen


def digest_day(text: str | None, period: str, tz: ZoneInfo, now: datetime, spell: Spelling) -> date:
    """The last day of the digest's period: of a week or month, one that is over."""
    # A day: --date itself, by default today (the figures so far). A week or month: the last
    # day of the one containing --date, by default the last complete one.
    today = now.astimezone(tz).date()
    if period == "day":
        chosen = day(text or "today", tz, now, spell)
        if chosen > today:
            raise spell.error("date", periods.not_started(chosen, tz))
        return chosen
    if text is None:
        return periods.last_complete(period, today)
    first, last = periods.span(period, day(text, tz, now, spell))
    if last >= today:
        latest = periods.last_complete(period, today)
        raise spell.error(
            "date",
            f"the {period} {first.isoformat()} to {last.isoformat()} is not over yet in {tz.key}"
            f" (the last complete one ended {latest.isoformat()})",
        )
    return last


def png_output(path: Path, spell: Spelling) -> Path:
    """A chart's ``--output``: a file name ending in ``.png``."""
    if path.suffix.lower() != ".png":
        raise spell.error("output", f"expected a file name ending in .png, got {str(path)!r}")
    return path


def import_mapping(
    platform: str | None,
    handle: str | None,
    columns: str | None,
    date_format: str | None,
    abbreviated: bool,
    spell: Spelling,
) -> ColumnMap | None:
    """The one-account mapping ``--platform --handle [--map …]`` describe; None: native format."""
    both = f"{spell.name('platform')} and {spell.name('handle')}"
    if platform is None and handle is None:
        given = [spell.name(n) for n, v in (("map", columns), ("date-format", date_format)) if v]
        given += [spell.name("abbreviated")] if abbreviated else []
        if given:
            raise InputError(f"import: {', '.join(given)} only apply with {both}", field="platform")
        return None
    if platform is None or handle is None:
        raise InputError(
            f"import: {both} go together (one account per file)",
            field="handle" if handle is None else "platform",
        )
    name = platform.strip().lower()
    if name not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise spell.error("platform", f"unknown platform {platform!r} (known: {known})")
    mapped = parse_map(columns) if columns is not None else {}
    return ColumnMap(name, handle, mapped, date_format, abbreviated)


@dataclass(frozen=True)
class SnapshotTime:
    """What ``--at`` names: one instant, or a whole local day (``day`` set)."""

    first: datetime  # UTC
    last: datetime  # UTC; equal to ``first`` for an instant
    day: date | None


def snapshot_time(text: str, tz: ZoneInfo, spell: Spelling) -> SnapshotTime:
    """``--at`` of ``bot correct``: an ISO time (local if naive), or a date (its local day)."""
    first = when(text, tz, field="at", end_of_day=False, spell=spell)
    if len(text.strip()) != 10:
        return SnapshotTime(first, first, None)
    last = when(text, tz, field="at", end_of_day=True, spell=spell)
    return SnapshotTime(first, last, first.astimezone(tz).date())


def correction(
    account: str | None,
    at_text: str | None,
    undo: int | None,
    *,
    marks: tuple[bool, bool, bool],
    counts: tuple[int | None, int | None],
    spell: Spelling,
) -> Change | None:
    """The one change ``bot correct`` asks for, or None for ``--undo ID``; else one line, exit 2.

    ``marks`` are ``--mark-suspect``, ``--mark-ok`` and ``--delete``; ``counts`` are the new
    ``--followers`` and ``--posts``.
    """
    asked = [change for flag, change in zip(marks, _MARKS, strict=True) if flag]
    asked += [
        Change.set_count(name, _count(name, value, spell))
        for name, value in zip(("followers", "posts"), counts, strict=True)
        if value is not None
    ]
    at, undo_id = spell.given(("at", "WHEN")), spell.given(("undo", "ID"))
    usage = f"give ACCOUNT {at} and one change, or {undo_id}"
    if undo is not None:
        if account is not None or at_text is not None or asked:
            problem = f"{undo_id} takes no ACCOUNT, {spell.name('at')} or change"
            raise InputError(f"correct: {problem}", field="undo")
        return None
    if account is None and at_text is None and not asked:
        raise InputError(f"correct: {usage}", field="account")
    if account is None:
        raise InputError(f"correct: ACCOUNT is missing ({usage})", field="account")
    if at_text is None:
        raise InputError(f"correct: {at} is missing ({usage})", field="at")
    if len(asked) != 1:
        flags = [spell.name(name) for name in ("mark-suspect", "mark-ok", "delete")]
        flags += [spell.given((name, "N")) for name in ("followers", "posts")]
        raise InputError(f"correct: give exactly one of {', '.join(flags)}", field="account")
    return asked[0]


_MARKS = (Change.mark(Quality.SUSPECT), Change.mark(Quality.OK), Change.delete())


def _count(name: str, value: int, spell: Spelling) -> int:
    """A counter's new value: a whole number the database can hold."""
    if not 0 <= value <= MAX_COUNT:
        raise spell.error(name, f"expected a whole number from 0 to {MAX_COUNT}, got {value}")
    return value


def figures_import(mapped: bool, spell: Spelling) -> None:
    """``--figures`` reads its own columns: no one-account mapping goes with it."""
    if mapped:
        raise InputError(
            f"import: {spell.name('figures')} reads platform,handle,from,to,metric,value;"
            f" {spell.name('platform')}, {spell.name('handle')}, {spell.name('map')},"
            f" {spell.name('date-format')} and {spell.name('abbreviated')} do not apply",
            field="figures",
        )
