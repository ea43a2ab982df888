"""The annual (or any range) report: its period, group totals and JSON document.

The figures come from ``bot.query.rows.report_entries`` (which uses the growth maths); this module
only adds up groups. ``bot.query.report_text`` writes them as text, Markdown or a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from bot import growth
from bot.config import Settings
from bot.output.text import iso
from bot.query.contract import ReportDocument, ReportRange
from bot.query.rows import ReportEntry, report_json_line

GROUPS_NOTE = (
    "Group totals add up the accounts with a follower count at both ends of the period;"
    " posts add up the accounts with a post count at both ends."
)


@dataclass(frozen=True)
class Period:
    """The instants a report compares, and how to name them."""

    first: datetime  # UTC: the start figure is the last good snapshot on or before it
    last: datetime  # UTC: the end figure is the last good snapshot on or before it
    first_day: date  # local day of ``first``
    last_day: date  # local day of ``last``
    year: int | None  # set for --year
    json_range: ReportRange  # {"year": Y} or {"from": …, "to": …}


@dataclass(frozen=True)
class GroupTotal:
    """A group's sums over its accounts that have figures at both ends of the period."""

    group: str
    accounts: int  # accounts in the group
    counted: int  # of which with a follower count at both ends
    start_followers: int | None
    end_followers: int | None
    followers_change: int | None
    followers_growth_pct: float | None
    posts_in_period: int | None
    posts_accounts: int  # accounts with a post count at both ends
    rounded: bool  # some member's count is rounded by its platform
    posts_imported: int = 0  # members whose posts published is an imported total


def year_period(year: int, settings: Settings) -> Period:
    """The calendar ``year`` in the configured time zone (bot/query/words.py checks it)."""
    first, last = growth.year_bounds(year, settings.timezone)
    return Period(first, last, date(year, 1, 1), date(year, 12, 31), year, {"year": year})


def range_period(
    first: datetime, last: datetime, settings: Settings, *, shown: tuple[str, str]
) -> Period:
    """From ``first`` to ``last`` (UTC); ``shown`` is the range as the user wrote it."""
    start, end = shown
    tz = settings.timezone
    return Period(
        first,
        last,
        first.astimezone(tz).date(),
        last.astimezone(tz).date(),
        None,
        {"from": _range_bound(start, first), "to": _range_bound(end, last)},
    )


def _range_bound(text: str, instant: datetime) -> str:
    """A date as given (``2021-03-01``), or a time as a UTC instant."""
    stripped = text.strip()
    return stripped if len(stripped) == 10 else iso(instant.astimezone(UTC))


def group_totals(entries: Sequence[ReportEntry]) -> list[GroupTotal]:
    """One total per group named by any account, sorted by name."""
    names = sorted({name for entry in entries for name in entry.groups})
    return [_total(name, [e for e in entries if name in e.groups]) for name in names]


def _total(name: str, members: Sequence[ReportEntry]) -> GroupTotal:
    """Add up one group's members that have both endpoints."""
    counted = [e.line for e in members if e.line.followers_change is not None]
    posts = [e.line.posts_in_period for e in members if e.line.posts_in_period is not None]
    imported = sum(1 for e in members if e.posts_source == "imported")
    if not counted:
        start = end = change = None
        pct = None
    else:
        start = sum(line.start.followers or 0 for line in counted if line.start)
        end = sum(line.end.followers or 0 for line in counted if line.end)
        # Each account's change already ignores moves smaller than its rounding step.
        change = sum(line.followers_change or 0 for line in counted)
        pct = growth.growth_pct(start, start + change)
    rounded = any(
        point.precision > 1 for line in counted for point in (line.start, line.end) if point
    )
    return GroupTotal(
        group=name,
        accounts=len(members),
        counted=len(counted),
        start_followers=start,
        end_followers=end,
        followers_change=change,
        followers_growth_pct=pct,
        posts_in_period=sum(posts) if posts else None,
        posts_accounts=len(posts),
        rounded=rounded,
        posts_imported=imported,
    )


def document(period: Period, entries: Sequence[ReportEntry], settings: Settings) -> ReportDocument:
    """The JSON report: ``{"year"|"from","to", "accounts": [...], "groups": [...]}``."""
    return {
        **period.json_range,
        "accounts": [report_json_line(entry, settings) for entry in entries],
        "groups": [
            {
                "group": total.group,
                "accounts": total.accounts,
                "counted": total.counted,
                "start_followers": total.start_followers,
                "end_followers": total.end_followers,
                "followers_change": total.followers_change,
                "followers_growth_pct": total.followers_growth_pct,
                "posts_in_period": total.posts_in_period,
                "posts_accounts": total.posts_accounts,
            }
            for total in group_totals(entries)
        ],
    }
