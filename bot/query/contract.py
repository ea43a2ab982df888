"""The stable JSON rows of DESIGN.md's contract, as TypedDicts: mypy holds the field names.

Scripts read these names from ``--format json`` and the API; renaming one breaks them. Times are
``datetime`` here and become ISO strings with a ``Z`` when the faces render them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NotRequired, TypedDict


class AccountsRow(TypedDict):
    """One row of ``bot accounts`` and ``GET /accounts``."""

    platform: str
    handle: str
    label: str | None
    status: str  # an ``AccountStatus`` value
    followers: int | None
    posts: int | None
    last_polled_at: datetime | None
    last_error: str | None


class SnapshotsRow(TypedDict):
    """One row of ``bot snapshots`` and ``GET /accounts/{account}/snapshots``."""

    captured_at: datetime
    followers: int | None
    following: int | None
    posts: int | None


# "from" is a keyword, hence the functional form.
GrowthRow = TypedDict(
    "GrowthRow",
    {
        "platform": str,
        "handle": str,
        "followers": int | None,
        "previous": int | None,
        "change": int | None,
        "growth_pct": float | None,
        "posts_change": int | None,
        "from": datetime | None,
        "to": datetime | None,
    },
)


class ReportPoint(TypedDict):
    """A report's ``start`` or ``end``: the local date of the snapshot and its counts."""

    date: date
    followers: int | None
    posts: int | None


class ReportAccount(TypedDict):
    """One item of the report's ``accounts``."""

    platform: str
    handle: str
    start: ReportPoint | None
    end: ReportPoint | None
    followers_change: int | None
    followers_growth_pct: float | None
    posts_in_period: int | None
    # "counter" (the post counter's change), "imported" (a published total), or None.
    posts_source: str | None


class ReportGroup(TypedDict):
    """One item of the report's ``groups``: sums over the members with figures at both ends."""

    group: str
    accounts: int
    counted: int
    start_followers: int | None
    end_followers: int | None
    followers_change: int | None
    followers_growth_pct: float | None
    posts_in_period: int | None
    posts_accounts: int


# ``{"year": 2021}`` for ``--year``, ``{"from": …, "to": …}`` for a range.
ReportRange = TypedDict(
    "ReportRange", {"year": NotRequired[int], "from": NotRequired[str], "to": NotRequired[str]}
)


class ReportSpan(TypedDict):
    """The report's ``span``: what it compares (``end_at`` is now while ``complete`` is false)."""

    start_at: datetime  # UTC: start figures are the last good snapshot on or before it
    end_at: datetime  # UTC: end figures are the last good snapshot on or before it
    first_day: date  # local days of the period (``last_day``: today while not complete)
    last_day: date
    against: date  # the day the start figures stand for: the year's eve, or --from
    complete: bool


ReportDocument = TypedDict(
    "ReportDocument",
    {
        "year": NotRequired[int],
        "from": NotRequired[str],
        "to": NotRequired[str],
        "span": ReportSpan,
        "accounts": list[ReportAccount],
        "groups": list[ReportGroup],
    },
)


class GrowthLine(GrowthRow):
    """A growth row with the account's label, which tables show (not a JSON contract field)."""

    label: str | None


# One row of ``bot corrections``: a snapshot's ``captured_at``, or a published figure's span
# ``from``/``to``; ``old`` and ``new`` are the values (a whole row for a delete or replace).
CorrectionsRow = TypedDict(
    "CorrectionsRow",
    {
        "id": int,
        "platform": str,
        "handle": str,
        "captured_at": datetime | None,
        "from": date | None,
        "to": date | None,
        "action": str,
        "field": str,
        "old": Any,
        "new": Any,
        "origin": str,
        "actor": str | None,
        "at": datetime,
        "undone_at": datetime | None,
    },
)
