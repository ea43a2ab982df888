"""The annual (or any range) report: its period, group totals and JSON document.

The figures come from ``bot.query.rows.report_entries`` (which uses the growth maths); this module
only adds up groups. ``bot.query.report_text`` writes them as text, Markdown or a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from bot import growth
from bot.config import Settings
from bot.output.text import iso
from bot.query.contract import ReportDocument, ReportRange, ReportSpan
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
    # Set when the period is not over: the last day asked for (``last`` is then now).
    asked_last_day: date | None = None

    @property
    def complete(self) -> bool:
        """Whether the period is over (else its end figures are the latest so far)."""
        return self.asked_last_day is None

    @property
    def against_day(self) -> date:
        """The day the start figures stand for: a year's eve, or a range's first day."""
        return self.first_day - timedelta(days=1) if self.year is not None else self.first_day


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


def year_period(year: int, settings: Settings, now: datetime) -> Period:
    """The calendar ``year`` in the configured time zone, up to ``now`` if it is not over.

    bot/query/words.py checks the year and that it has started.
    """
    first, last = growth.year_bounds(year, settings.timezone)
    period = Period(first, last, date(year, 1, 1), date(year, 12, 31), year, {"year": year})
    return _so_far(period, now, settings)


def range_period(
    first: datetime, last: datetime, settings: Settings, *, shown: tuple[str, str], now: datetime
) -> Period:
    """From ``first`` to ``last`` (UTC), up to ``now``; ``shown`` is the range as written."""
    start, end = shown
    tz = settings.timezone
    period = Period(
        first,
        last,
        first.astimezone(tz).date(),
        last.astimezone(tz).date(),
        None,
        {"from": _range_bound(start, first), "to": _range_bound(end, last)},
    )
    return _so_far(period, now, settings)


def _so_far(period: Period, now: datetime, settings: Settings) -> Period:
    """The period cut at ``now`` when it is not over: its end figures are the latest ones."""
    if now >= period.last:
        return period
    return replace(
        period,
        last=now.astimezone(UTC),
        last_day=now.astimezone(settings.timezone).date(),
        asked_last_day=period.last_day,
    )


def span(period: Period) -> ReportSpan:
    """The JSON ``span``: the instants and local days the report compares."""
    return {
        "start_at": period.first,
        "end_at": period.last,
        "first_day": period.first_day,
        "last_day": period.last_day,
        "against": period.against_day,
        "complete": period.complete,
    }


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
    """The JSON report: ``{"year"|"from","to", "span", "accounts": [...], "groups": [...]}``."""
    return {
        **period.json_range,
        "span": span(period),
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
