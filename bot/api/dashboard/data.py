"""What the overview shows: every account's figures and changes, and each group's totals.

The figures come from the query layer (growth rows, the daemon's status) and the store's read
functions; nothing here writes SQL. Times stay UTC instants: the templates show them in the
configured zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from bot import growth
from bot.config import Settings
from bot.daemon import status as health
from bot.kinds import AccountStatus, Quality
from bot.output.svg import sparkline
from bot.output.text import account_key
from bot.query import rows as views
from bot.store import history
from bot.store.accounts import all_accounts
from bot.store.models import Account

# The overview's change columns: (heading, growth period).
WINDOWS = (("1d", "1d"), ("7d", "7d"), ("30d", "30d"), ("1y", "365d"))
SPARK_DAYS = 30


@dataclass(frozen=True)
class Change:
    """A change over one window, and its percentage (None: not enough history)."""

    value: int | None = None
    pct: float | None = None
    previous: int | None = None  # the count the change is measured from


@dataclass(frozen=True)
class AccountCard:
    """One overview row."""

    platform: str
    handle: str
    label: str | None
    groups: tuple[str, ...]
    followers: int | None
    changes: dict[str, Change]
    spark: str  # inline SVG
    badge: str  # ok, stale, failing, not_found, suspended, auth_error, paused
    last_polled_at: datetime | None

    @property
    def key(self) -> str:
        """``platform:handle``."""
        return account_key(self.platform, self.handle)


@dataclass(frozen=True)
class GroupCard:
    """A group's totals over its members with a figure."""

    name: str
    accounts: int
    followers: int | None
    changes: dict[str, Change] = field(default_factory=dict)


@dataclass(frozen=True)
class Overview:
    """The overview page: cards, group totals and the filter choices."""

    accounts: list[AccountCard]
    groups: list[GroupCard]
    group_names: list[str]
    platforms: list[str]


def overview(
    engine: Engine,
    settings: Settings,
    now: datetime,
    *,
    group: str | None = None,
    platform: str | None = None,
) -> Overview:
    """Every account (optionally of one group and/or platform) with its changes and sparkline."""
    with Session(engine) as session:
        everyone = list(all_accounts(session))
        chosen = [
            a
            for a in everyone
            if (group is None or group in (a.groups or ()))
            and (platform is None or a.platform == platform)
        ]
        ids = [a.id for a in chosen if a.id]
        connection = session.connection()
        latest = history.latest(connection, ids)
        recent = history.snapshots_between(
            connection, ids, since=now - timedelta(days=SPARK_DAYS + 1), until=now
        )
    by_window = {
        heading: {
            (r["platform"], r["handle"]): Change(r["change"], r["growth_pct"], r["previous"])
            for r in views.growth_rows(engine, settings, period=period, at=now, group=None)
        }
        for heading, period in WINDOWS
    }
    problems = {
        (p["platform"], p["handle"]): p["problem"]
        for p in health.status(engine, settings, now)["accounts"]
    }
    cards = [
        AccountCard(
            platform=a.platform,
            handle=a.handle,
            label=a.label,
            groups=tuple(a.groups or ()),
            followers=(row.followers if (row := latest.get(a.id or 0)) else None),
            changes={h: by_window[h].get((a.platform, a.handle), Change()) for h, _ in WINDOWS},
            spark=sparkline(_daily(recent.get(a.id or 0, []), now, settings.timezone)),
            badge=_badge(a, problems.get((a.platform, a.handle))),
            last_polled_at=a.last_polled_at,
        )
        for a in chosen
    ]
    names = sorted({g for a in everyone for g in (a.groups or ())})
    return Overview(
        accounts=cards,
        groups=[_group(name, [c for c in cards if name in c.groups]) for name in names],
        group_names=names,
        platforms=sorted({a.platform for a in everyone}),
    )


def _badge(account: Account, problem: str | None) -> str:
    """The account's status when it is not active, else the status page's problem, else ok."""
    if account.status != AccountStatus.ACTIVE:
        return str(account.status)
    return problem or "ok"


def _daily(rows: Sequence[history.SnapshotRow], now: datetime, tz: ZoneInfo) -> list[int | None]:
    """The last good follower count of each of the last ``SPARK_DAYS`` local days (None: none)."""
    today = now.astimezone(tz).date()
    days: dict[date, int | None] = {
        today - timedelta(days=n): None for n in range(SPARK_DAYS - 1, -1, -1)
    }
    for row in rows:
        day = row.captured_at.astimezone(tz).date()
        if day in days and row.quality != Quality.SUSPECT and row.followers is not None:
            days[day] = row.followers
    return list(days.values())


def _group(name: str, members: Sequence[AccountCard]) -> GroupCard:
    """Followers summed over members with a count; each change over members with one."""
    counts = [c.followers for c in members if c.followers is not None]
    changes = {}
    for heading, _ in WINDOWS:
        known = [c for c in members if c.changes[heading].value is not None]
        if not known:
            changes[heading] = Change()
            continue
        moved = sum(c.changes[heading].value or 0 for c in known)
        before = sum(c.changes[heading].previous or 0 for c in known)
        changes[heading] = Change(moved, growth.growth_pct(before, before + moved), before)
    return GroupCard(name, len(members), sum(counts) if counts else None, changes)
