"""What an account's page shows: charts over a range, milestones, the next one, the daily table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.digest import events
from bot.kinds import Quality
from bot.output.svg import Mark, line_chart
from bot.output.text import API, account_key, who
from bot.query import rows as views
from bot.query import words
from bot.query.accounts import account_by_key
from bot.query.contract import SnapshotsRow
from bot.store import history

RANGES = ("30d", "90d", "1y", "all", "custom")
_DAYS = {"30d": 30, "90d": 90, "1y": 365}


@dataclass(frozen=True)
class Span:
    """The range picked on the page: its name, bounds (UTC, None: open) and the custom dates."""

    name: str
    since: datetime | None
    until: datetime | None
    start: str = ""  # the custom form's dates as typed
    end: str = ""


def span(
    name: str, start: str | None, end: str | None, settings: Settings, now: datetime
) -> Span:
    """``range=30d|90d|1y|all`` or ``range=custom&from=D&to=D``; an InputError names the field."""
    API.choice("range", name, RANGES)
    if name == "custom":
        first, last = words.since_until(start or None, end or None, settings.timezone, API)
        if first is not None and last is not None and last < first:
            raise API.error("to", f"{end} is before from ({start})")
        return Span(name, first, last, start or "", end or "")
    if name == "all":
        return Span(name, None, None)
    return Span(name, now - timedelta(days=_DAYS[name]), None)


@dataclass(frozen=True)
class Projected:
    """The next milestone at the 30-day pace, with its range (see bot.digest.events)."""

    milestone: int
    per_day: float
    expected: date
    earliest: date
    latest: date | None


@dataclass(frozen=True)
class AccountPage:
    """Everything the account page draws."""

    platform: str
    handle: str
    label: str | None
    status: str
    title: str
    followers_chart: str
    posts_chart: str
    suspect: int
    crossed: list[tuple[int, datetime]]
    projected: Projected | None
    daily: list[SnapshotsRow]

    @property
    def key(self) -> str:
        """``platform:handle``."""
        return account_key(self.platform, self.handle)


def account_page(
    engine: Engine, settings: Settings, key: str, chosen: Span, now: datetime
) -> AccountPage:
    """One account over ``chosen``: an UnknownAccountError when there is no such account."""
    with Session(engine) as session:
        account = account_by_key(session, key)
        rows = history.series(
            session.connection(), account.id or 0, since=chosen.since, until=chosen.until
        )
        # The count before the range is where crossings are counted from.
        before = (
            history.range_endpoints(
                session.connection(), [account.id or 0], first=chosen.since, last=now
            )
            if chosen.since is not None
            else {}
        )
    tz = settings.timezone
    followers = [Mark(r.captured_at, r.followers, r.quality == Quality.SUSPECT) for r in rows]
    posts = [Mark(r.captured_at, r.posts, r.quality == Quality.SUSPECT) for r in rows]
    name = who(account.platform, account.handle, account.label)
    good = [r.point() for r in rows if r.quality != Quality.SUSPECT]
    start = before.get(account.id or 0, (None, None))[0]
    # Over the whole history, crossings count from the first good figure.
    base = start.followers if start else (good[0].followers if good else None)
    milestones = settings.milestones or events.DEFAULT_MILESTONES
    daily = views.snapshot_rows(
        engine, settings, key, since=chosen.since, until=chosen.until, every="day"
    )
    return AccountPage(
        platform=account.platform,
        handle=account.handle,
        label=account.label,
        status=str(account.status),
        title=name,
        followers_chart=line_chart(followers, title=f"{name}: followers", tz=tz),
        posts_chart=line_chart(posts, title=f"{name}: posts", tz=tz),
        suspect=sum(1 for r in rows if r.quality == Quality.SUSPECT),
        crossed=events.crossed(milestones, base, good),
        projected=_projected(engine, settings, account.platform, account.handle, now),
        daily=list(reversed(daily)),
    )


def _projected(
    engine: Engine, settings: Settings, platform: str, handle: str, now: datetime
) -> Projected | None:
    """The next milestone at the 30-day pace, as the digest projects it; None if not growing."""
    windows = {}
    for period in ("30d", "7d"):
        for row in views.growth_rows(engine, settings, period=period, at=now, group=None):
            if (row["platform"], row["handle"]) == (platform, handle):
                windows[period] = row
    month, week = windows.get("30d"), windows.get("7d")
    if month is None or month["followers"] is None:
        return None
    milestones = settings.milestones or events.DEFAULT_MILESTONES
    target = events.next_milestone(milestones, month["followers"])
    pace30 = events.pace(month["change"], month["from"], month["to"])
    pace7 = events.pace(week["change"], week["from"], week["to"]) if week else None
    if target is None or pace30 is None:
        return None
    since = month["to"].astimezone(settings.timezone).date() if month["to"] else now.date()
    when = events.project(month["followers"], target, since, pace30, pace7)
    if when is None:
        return None
    return Projected(target, round(pace30, 1), when.expected, when.earliest, when.latest)
