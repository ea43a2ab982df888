"""The Digest: what one day looked like, built once and drawn by every renderer.

``Digest.to_json()`` is the stable JSON contract (README: Digest JSON). Fields may be added to
it; the names listed in DESIGN.md (``date``, ``timezone``, ``accounts``…) are never renamed.
A weekly or monthly digest is the digest of its last day with ``period`` set: its JSON adds
``period`` and ``from`` (the period's first day); a daily one's JSON is unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from bot.digest import periods
from bot.growth import Point
from bot.output.text import account_key, plain

WINDOWS: tuple[str, ...] = ("1d", "7d", "30d", "365d")
# Days of history behind the sparklines and charts (ending on the digest's day).
SERIES_DAYS = 30
# Accounts given a chart: the first, in the digest's order, with a count on two days or more
# (an email with hundreds of images is unreadable and heavy).
CHARTS = 24


@dataclass(frozen=True)
class AccountLine:
    """One account at the end of the day, with its change over each window."""

    platform: str
    handle: str
    label: str | None
    groups: tuple[str, ...]
    followers: int | None
    posts: int | None
    change: Mapping[str, int | None]
    growth_pct: Mapping[str, float | None]
    posts_change: Mapping[str, int | None]
    # active, stale, failing, or the account's own status (not_found, suspended, auth_error…).
    status: str
    last_data_at: datetime | None
    # The follower count at the end of each of the last SERIES_DAYS local days, oldest first.
    daily: tuple[int | None, ...] = ()
    # The snapshots ``daily`` took its counts from, for the CHARTS charted accounts only (not
    # part of the JSON).
    points: tuple[Point, ...] = field(default=(), repr=False)

    @cached_property
    def key(self) -> str:
        """``platform:handle``."""
        return account_key(self.platform, self.handle)

    @property
    def name(self) -> str:
        """The label, else ``platform:handle``."""
        return self.label or self.key


@dataclass(frozen=True)
class GroupSummary:
    """A group's accounts and totals; ``name`` None is the accounts in no group."""

    name: str | None
    accounts: tuple[str, ...]
    followers: int | None
    change: Mapping[str, int | None]
    growth_pct: Mapping[str, float | None]
    posts_change: Mapping[str, int | None]

    @property
    def title(self) -> str:
        """The heading to show."""
        return self.name if self.name is not None else "Other accounts"


@dataclass(frozen=True)
class Mover:
    """One of the biggest gains or losses over a window."""

    period: str
    direction: str  # "up" or "down"
    platform: str
    handle: str
    label: str | None
    change: int
    growth_pct: float


@dataclass(frozen=True)
class Milestone:
    """A round number crossed during the day; ``crossed_at`` is the first snapshot at or above."""

    platform: str
    handle: str
    label: str | None
    milestone: int
    crossed_at: datetime


@dataclass(frozen=True)
class Projection:
    """When the next milestone is reached at the 30-day pace, with a range (see events.py)."""

    platform: str
    handle: str
    label: str | None
    followers: int
    milestone: int
    pace_per_day: float
    expected: date
    earliest: date
    latest: date | None  # None: beyond the projection horizon


@dataclass(frozen=True)
class Anomaly:
    """A suspect point, a confirmed drop, or several accounts of a platform dropping together.

    ``platform_glitch``: the poller saw many of the platform's accounts turn suspect in one
    cycle (at ``at``); ``followers`` is how many, ``previous`` how many were polled.
    """

    kind: str  # "suspect", "confirmed_drop", "platform_event" or "platform_glitch"
    platform: str
    handle: str | None  # None for a platform event
    handles: tuple[str, ...]
    at: datetime | None
    followers: int | None
    previous: int | None


@dataclass(frozen=True)
class Failure:
    """An account whose polls fail or that has sent no data for too long."""

    platform: str
    handle: str
    label: str | None
    status: str
    last_data_at: datetime | None
    last_attempt_at: datetime | None
    message: str | None


@dataclass(frozen=True)
class Digest:
    """The state at the end of ``day`` in ``timezone`` (or at ``at`` when the day is not over)."""

    day: date
    timezone: ZoneInfo
    at: datetime
    complete: bool
    accounts: tuple[AccountLine, ...]
    groups: tuple[GroupSummary, ...]
    movers: tuple[Mover, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    projections: tuple[Projection, ...] = ()
    anomalies: tuple[Anomaly, ...] = ()
    failures: tuple[Failure, ...] = ()
    # "day", "week" or "month": a week or month ends on ``day`` (see bot/digest/periods.py).
    period: str = "day"

    @property
    def first_day(self) -> date:
        """The first local day the digest's period covers (``day`` itself for a daily one)."""
        return periods.span(self.period, self.day)[0]

    @property
    def headline(self) -> str:
        """The window the digest leads with: 1d, 7d or 30d."""
        return periods.HEADLINE[self.period]

    def account(self, key: str) -> AccountLine:
        """The line of ``platform:handle`` (KeyError when absent)."""
        for line in self.accounts:
            if line.key == key:
                return line
        raise KeyError(key)

    def group_lines(self, group: GroupSummary) -> list[AccountLine]:
        """A group's account lines, in the group's order."""
        return [self._by_key[key] for key in group.accounts]

    @cached_property
    def _by_key(self) -> dict[str, AccountLine]:
        """Each account's line by ``platform:handle``: made once, not once a group."""
        return {line.key: line for line in self.accounts}

    def to_json(self) -> dict[str, Any]:
        """The stable JSON document: UTC times with Z, dates as YYYY-MM-DD, null = unknown."""
        document = {
            "date": self.day,
            "timezone": self.timezone.key,
            "at": self.at,
            "complete": self.complete,
            # Only in weekly and monthly documents: a daily one stays as it always was.
            **({} if self.period == "day" else {"period": self.period, "from": self.first_day}),
            "accounts": [_account_json(line) for line in self.accounts],
            "groups": [_group_json(group) for group in self.groups],
            "movers": [vars(mover) for mover in self.movers],
            "milestones": [vars(m) for m in self.milestones],
            "projections": [vars(p) for p in self.projections],
            "anomalies": [vars(a) for a in self.anomalies],
            "failures": [vars(f) for f in self.failures],
        }
        result: dict[str, Any] = plain(document)
        return result


def _account_json(line: AccountLine) -> dict[str, Any]:
    """An account line without its chart points."""
    return {
        "platform": line.platform,
        "handle": line.handle,
        "label": line.label,
        "group": line.groups[0] if line.groups else None,
        "groups": list(line.groups),
        "followers": line.followers,
        "posts": line.posts,
        "change": dict(line.change),
        "growth_pct": dict(line.growth_pct),
        "posts_change": dict(line.posts_change),
        "status": line.status,
        "last_data_at": line.last_data_at,
        "daily_followers": list(line.daily),
    }


def _group_json(group: GroupSummary) -> dict[str, Any]:
    """A group summary."""
    return {
        "name": group.name,
        "accounts": list(group.accounts),
        "followers": group.followers,
        "change": dict(group.change),
        "growth_pct": dict(group.growth_pct),
        "posts_change": dict(group.posts_change),
    }


@dataclass(frozen=True)
class DigestMessage:
    """One digest in every form a channel may want; ``html`` shows ``images`` as ``cid:NAME``."""

    title: str
    text: str
    markdown: str
    html: str
    json: str
    # PNG bytes by Content-ID, as render_html makes them.
    images: Mapping[str, bytes] = field(default_factory=dict)
