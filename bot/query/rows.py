"""What the query commands show: rows built from the store and the growth maths."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, get_args
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine

from bot import growth
from bot.clock import day_bounds
from bot.config import Settings
from bot.kinds import AccountStatus, Quality
from bot.output.tables import Column
from bot.output.text import who
from bot.query.contract import (
    AccountsRow,
    GrowthLine,
    GrowthRow,
    ReportAccount,
    ReportPoint,
    SnapshotsRow,
)
from bot.store import figures, history
from bot.store.listing import AccountRow, accounts_with_latest, chosen
from bot.store.tables import ACCOUNT

if TYPE_CHECKING:
    from bot.store.models import Account

ACCOUNT_COLUMNS = (
    Column("platform", "Platform"),
    Column("handle", "Handle"),
    Column("label", "Label"),
    Column("status", "Status"),
    Column("followers", "Followers", numeric=True),
    Column("posts", "Posts", numeric=True),
    Column("last_polled_at", "Last poll (UTC)"),
    Column("last_error", "Last error", from_platform=True),
)
SNAPSHOT_COLUMNS = (
    Column("captured_at", "Captured (UTC)"),
    Column("followers", "Followers", numeric=True),
    Column("following", "Following", numeric=True),
    Column("posts", "Posts", numeric=True),
)
GROWTH_COLUMNS = (
    Column("platform", "Platform"),
    Column("handle", "Handle"),
    Column("label", "Label", table_only=True),
    Column("followers", "Followers", numeric=True),
    Column("previous", "Previous", numeric=True),
    Column("change", "Change", numeric=True, signed=True),
    Column("growth_pct", "Growth", numeric=True, percent=True),
    Column("posts_change", "Posts", numeric=True, signed=True),
    Column("from", "From (UTC)"),
    Column("to", "To (UTC)"),
)
REPORT_COLUMNS = (
    Column("platform", "Platform"),
    Column("handle", "Handle"),
    Column("start_date", "Start"),
    # Headed by the days compared (bot.query.report_text.dated): "Followers 31 Dec 2020".
    Column("start_followers", "Followers", numeric=True),
    Column("end_date", "End"),
    Column("end_followers", "Followers", numeric=True),
    Column("followers_change", "Change", numeric=True, signed=True),
    Column("followers_growth_pct", "Growth", numeric=True, percent=True),
    Column("posts_in_period", "Posts published", numeric=True),
    Column("posts_source", "Posts from"),
)
Every = Literal["raw", "day", "week", "month"]
EVERY: tuple[str, ...] = get_args(Every)


def account_rows(
    engine: Engine, group: str | None = None, *, removed: bool = False
) -> list[AccountsRow]:
    """Accounts with status, last poll and latest counts (``removed`` ones only if asked)."""
    with engine.connect() as connection:
        listed = accounts_with_latest(connection, group, removed=removed)
    return [
        {
            "platform": platform,
            "handle": handle,
            "label": label,
            "status": status,
            "followers": followers,
            "posts": posts,
            "last_polled_at": polled,
            "last_error": error,
        }
        for platform, handle, label, status, polled, error, followers, posts, *_ in listed
    ]


def snapshot_rows(
    engine: Engine,
    settings: Settings,
    key: str,
    *,
    since: datetime | None,
    until: datetime | None,
    every: Every,
) -> list[SnapshotsRow]:
    """One account's history, raw or the last snapshot of each local day/week/month."""
    account = _account(engine, key)
    with engine.connect() as connection:
        rows = history.series(connection, account.id or 0, since=since, until=until)
    if every != "raw":
        # A suspect snapshot is no day's (week's, month's) figure: the last good one is.
        buckets: dict[Any, history.SnapshotRow] = {}
        for row in rows:
            if row.quality != Quality.SUSPECT:
                buckets[_bucket(row.captured_at, every, settings)] = row
        rows = list(buckets.values())
    return [
        {
            "captured_at": r.captured_at,
            "followers": r.followers,
            "following": r.following,
            "posts": r.posts,
        }
        for r in rows
    ]


def chart_series(
    engine: Engine, key: str, *, since: datetime | None, until: datetime | None
) -> tuple[str, list[growth.Point]]:
    """A chart title and one account's good snapshots (suspect points are left out)."""
    account = _account(engine, key)
    with engine.connect() as connection:
        rows = history.series(connection, account.id or 0, since=since, until=until)
    title = who(account.platform, account.handle, account.label)
    return f"{title}: followers", [row.point() for row in rows if row.quality != Quality.SUSPECT]


def _account(engine: Engine, key: str) -> Account:
    """The stored account ``key`` names (the ORM, imported only by the commands that use it)."""
    from sqlmodel import Session

    from bot.query.accounts import account_by_key

    with Session(engine) as session:
        return account_by_key(session, key)


def growth_json(lines: Sequence[GrowthLine]) -> list[GrowthRow]:
    """The documented JSON rows of growth: the table's label left out."""
    return [
        {key: value for key, value in line.items() if key != "label"}  # type: ignore[misc]
        for line in lines
    ]


def _bucket(moment: datetime, every: Every, settings: Settings) -> Any:
    """The local day, ISO week or month a moment falls in."""
    local = moment.astimezone(settings.timezone)
    if every == "day":
        return local.date()
    if every == "week":
        return local.isocalendar()[:2]
    return (local.year, local.month)


def growth_rows(
    engine: Engine,
    settings: Settings,
    *,
    period: str,
    at: datetime,
    group: str | None,
    removed: bool = False,
) -> list[GrowthLine]:
    """Growth of every account over ``period`` ending at ``at`` (with labels, for tables)."""
    name = growth.parse_period(period)
    target = growth.period_target(name, at, settings.timezone)
    tol = growth.tolerance(name, at, settings.timezone)
    columns = [ACCOUNT.c.platform, ACCOUNT.c.handle, ACCOUNT.c.label]
    with engine.connect() as connection:
        where = chosen(connection.dialect, group, removed)
        found = history.growth_listing(connection, columns, *where, at=at, target=target, tol=tol)
    rows: list[GrowthLine] = []
    for row in found:
        current, before, after = history.points(row, len(columns), 3)
        result = growth.growth(current, before, after, target=target, tol=tol)
        rows.append(
            {
                "platform": row.platform,
                "handle": row.handle,
                "label": row.label,
                "followers": result.followers,
                "previous": result.previous,
                "change": result.change,
                "growth_pct": result.growth_pct,
                "posts_change": result.posts_change,
                "from": result.from_at,
                "to": result.to_at,
            }
        )
    return rows


@dataclass(frozen=True)
class ReportEntry:
    """One account's report figures with what a written report names it by."""

    platform: str
    handle: str
    label: str | None
    groups: tuple[str, ...]
    line: growth.ReportLine
    # Where ``line.posts_in_period`` comes from: "counter" (the change of the post counter),
    # "imported" (a published total for exactly the period, which wins), or None (no figure).
    posts_source: str | None = None
    counter_posts: int | None = None  # the counter's figure, when an imported total replaced it


def report_entries(
    engine: Engine,
    *,
    first: datetime,
    last: datetime,
    tz: ZoneInfo,
    accounts: Sequence[Account | AccountRow] | None = None,
    removed: bool = False,
) -> list[ReportEntry]:
    """Per account: the report figures between the last good snapshots at ``first`` and ``last``.

    Posts published are the change of the post counter, unless the team imported a published
    total for exactly the period's local days (``bot import --figures``): that total wins.
    Accounts removed from the config are left out unless ``removed``.
    """
    with engine.connect() as connection:
        if accounts is None:
            chosen = _report_listing(connection, first, last, removed)
        else:
            found = history.range_endpoints(
                connection, [a.id for a in accounts if a.id], first=first, last=last
            )
            chosen = [
                (a.id or 0, a.platform, a.handle, a.label, a.groups, *_points(found.get(a.id or 0)))
                for a in accounts
            ]
        days = _whole_days(first, last, tz)
        totals = (
            figures.totals_for(
                connection,
                [c[0] for c in chosen],
                metric=figures.POSTS_PUBLISHED,
                from_date=days[0],
                to_date=days[1],
            )
            if days
            else {}
        )
    entries = []
    for account_id, platform, handle, label, groups, start, end in chosen:
        line = growth.report_line(start, end)
        entry = ReportEntry(platform, handle, label, tuple(groups or ()), line)
        entries.append(_posts_from(entry, totals.get(account_id)))
    return entries


def _report_listing(
    connection: Connection, first: datetime, last: datetime, removed: bool
) -> list[tuple[Any, ...]]:
    """Every account's (id, platform, handle, label, groups, start, end), in one statement."""
    columns = [ACCOUNT.c.id, ACCOUNT.c.platform, ACCOUNT.c.handle, ACCOUNT.c.label]
    where = [] if removed else [ACCOUNT.c.status != AccountStatus.REMOVED]
    rows = history.range_listing(
        connection, [*columns, ACCOUNT.c.groups], *where, first=first, last=last
    )
    return [(*row[:5], *history.points(row, 5, 2)) for row in rows]


def _points(
    ends: tuple[history.SnapshotRow | None, history.SnapshotRow | None] | None,
) -> tuple[growth.Point | None, growth.Point | None]:
    """``range_endpoints``' two snapshots of an account as points (None: none found)."""
    start, end = ends or (None, None)
    return (start.point() if start else None, end.point() if end else None)


def _posts_from(entry: ReportEntry, total: int | None) -> ReportEntry:
    """The entry with its posts published from an imported ``total`` (it wins), or the counter."""
    line = entry.line
    if total is not None:
        return replace(
            entry,
            line=replace(line, posts_in_period=total),
            posts_source="imported",
            counter_posts=line.posts_in_period,
        )
    return replace(entry, posts_source="counter" if line.posts_in_period is not None else None)


def _whole_days(first: datetime, last: datetime, tz: ZoneInfo) -> tuple[date, date] | None:
    """The local days from ``first`` to ``last`` when they are exactly whole days, else None."""
    start, end = first.astimezone(tz).date(), last.astimezone(tz).date()
    if day_bounds(start, tz)[0] != first or day_bounds(end, tz)[1] != last:
        return None
    return start, end


def report_json_line(entry: ReportEntry, settings: Settings) -> ReportAccount:
    """One ``accounts`` item of the report's JSON (the documented shape)."""
    line = entry.line
    return {
        "platform": entry.platform,
        "handle": entry.handle,
        "start": _end_point(line.start, settings),
        "end": _end_point(line.end, settings),
        "followers_change": line.followers_change,
        "followers_growth_pct": line.followers_growth_pct,
        "posts_in_period": line.posts_in_period,
        "posts_source": entry.posts_source,
    }


def report(
    engine: Engine,
    settings: Settings,
    *,
    first: datetime,
    last: datetime,
    accounts: Sequence[Account | AccountRow] | None = None,
) -> list[ReportAccount]:
    """Per account: start and end counts, change, growth % and posts published in the range."""
    entries = report_entries(
        engine, first=first, last=last, tz=settings.timezone, accounts=accounts
    )
    return [report_json_line(entry, settings) for entry in entries]


def _end_point(point: growth.Point | None, settings: Settings) -> ReportPoint | None:
    """``{"date", "followers", "posts"}`` with the date in the configured time zone."""
    if point is None:
        return None
    return {
        "date": point.at.astimezone(settings.timezone).date(),
        "followers": point.followers,
        "posts": point.posts,
    }


def report_table_rows(lines: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Flatten report lines for the table and CSV formats."""
    flat = []
    for line in lines:
        start, end = line["start"] or {}, line["end"] or {}
        flat.append(
            {
                **{
                    k: line[k]
                    for k in (
                        "platform",
                        "handle",
                        "followers_change",
                        "followers_growth_pct",
                        "posts_in_period",
                        "posts_source",
                    )
                },
                "start_date": start.get("date"),
                "start_followers": start.get("followers"),
                "end_date": end.get("date"),
                "end_followers": end.get("followers"),
            }
        )
    return flat
