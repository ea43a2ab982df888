"""docs/growth.md as the contract: every query command against the reference model.

Random histories in zones whose clocks change at local midnight (25- and 23-hour days), with
leap days, ties and tolerance edges, stored in SQLite and PostgreSQL; `growth`, `report`,
`snapshots` and the digest must say what tests/helpers/reference.py (written from its
words) says.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete
from sqlmodel import Session

from bot.config import Settings
from bot.digest import build_digest
from bot.kinds import Quality
from bot.output.text import CLI
from bot.query import rows, words
from bot.store.models import Account
from bot.store.tables import SNAPSHOT
from bot.store.writes import insert_snapshots
from tests.helpers import reference as ref
from tests.helpers.settings import settings_for
from tests.helpers.store import snap

KEY = "bluesky:a.bsky.social"
# Beirut, Santiago and Cairo fall back at local midnight; Havana springs forward at midnight;
# Lord Howe moves by half an hour; Casablanca changes twice a year around Ramadan.
ZONES = [
    "UTC",
    "Europe/Paris",
    "Asia/Beirut",
    "America/Santiago",
    "America/Havana",
    "Africa/Cairo",
    "Australia/Lord_Howe",
    "Africa/Casablanca",
]
# Instants histories gather around: each zone's clock changes in 2024, and a leap day.
ANCHORS = [
    datetime(2024, 2, 29, 12, tzinfo=UTC),
    datetime(2024, 3, 10, 5, tzinfo=UTC),
    datetime(2024, 3, 31, 1, tzinfo=UTC),
    datetime(2024, 4, 7, 3, tzinfo=UTC),
    datetime(2024, 10, 26, 21, tzinfo=UTC),
    datetime(2024, 10, 31, 21, tzinfo=UTC),
    datetime(2024, 11, 3, 5, tzinfo=UTC),
    datetime(2025, 1, 1, 0, tzinfo=UTC),
]
PERIODS = ["1d", "7d", "30d", "90d", "365d", "ytd"]
# Offsets that land on a period's target, its tolerance's edges and just beyond them.
EDGES = sorted(
    {
        sign * int(edge.total_seconds())
        for edge in (
            timedelta(0),
            timedelta(microseconds=1),
            timedelta(minutes=30),
            *ref.TOLERANCE.values(),
            *(t + timedelta(seconds=1) for t in ref.TOLERANCE.values()),
        )
        for sign in (1, -1)
    }
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[ZoneInfo, list[ref.Snap], datetime]:
    """A zone, an account's snapshots (unique instants) and the anchor they gather around."""
    tz = ZoneInfo(draw(st.sampled_from(ZONES)))
    anchor = draw(st.sampled_from(ANCHORS))
    days = st.integers(min_value=-400, max_value=3)
    jitter = st.one_of(
        st.sampled_from(EDGES), st.integers(min_value=-86_400, max_value=86_400)
    )
    instants = draw(
        st.lists(
            st.builds(lambda d, s: anchor + timedelta(days=d, seconds=s), days, jitter),
            min_size=1,
            max_size=25,
            unique=True,
        )
    )
    counts = st.one_of(st.none(), st.integers(min_value=0, max_value=2_000_000))
    snaps = [
        ref.Snap(
            at=at,
            followers=draw(counts),
            posts=draw(counts),
            suspect=draw(st.booleans().map(lambda b: b and draw(st.booleans()))),
        )
        for at in instants
    ]
    return tz, snaps, anchor


@st.composite
def moments(draw: st.DrawFn, snaps: list[ref.Snap], anchor: datetime) -> datetime:
    """A query instant: a period after a snapshot, at a tolerance edge, or near the anchor."""
    base = draw(st.sampled_from([s.at for s in snaps] + [anchor]))
    period = draw(st.sampled_from([timedelta(0), *(timedelta(days=d) for d in ref.DAYS.values())]))
    return base + period + timedelta(seconds=draw(st.sampled_from(EDGES)))


@pytest.fixture
def account(engine: Engine) -> Iterator[tuple[Engine, int]]:
    """One account whose snapshots each example replaces."""
    with Session(engine) as session:
        created = datetime(2020, 1, 1, tzinfo=UTC)  # before every history: never "not yet born"
        row = Account(platform="bluesky", handle="a.bsky.social", created_at=created)
        session.add(row)
        session.commit()
        yield engine, row.id or 0


def store(engine: Engine, account_id: int, snaps: list[ref.Snap]) -> None:
    """Replace the account's history with ``snaps``."""
    with engine.begin() as connection:
        connection.execute(delete(SNAPSHOT))
        insert_snapshots(
            connection,
            [
                snap(
                    account_id,
                    s.at,
                    s.followers,
                    s.posts,
                    Quality.SUSPECT if s.suspect else Quality.OK,
                )
                for s in snaps
            ],
        )


def local_days(snaps: list[ref.Snap], tz: ZoneInfo) -> list[date]:
    """The local dates of the snapshots, and the days around them."""
    days = {s.at.astimezone(tz).date() + timedelta(days=k) for s in snaps for k in (-1, 0, 1)}
    return sorted(days)


# CI runs 25 examples per test and database; BOT_CONTRACT_EXAMPLES=500 runs a longer search.
EXAMPLES = settings(
    max_examples=int(os.environ.get("BOT_CONTRACT_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@EXAMPLES
@given(data=st.data(), history=histories())
def test_growth_matches_the_reference(
    account: tuple[Engine, int], data: st.DataObject, history: Any
) -> None:
    engine, account_id = account
    tz, snaps, anchor = history
    store(engine, account_id, snaps)
    config = settings_for(["a.bsky.social"], timezone=tz)
    for _ in range(4):
        period = data.draw(st.sampled_from(PERIODS))
        if data.draw(st.booleans()):
            t = data.draw(moments(snaps, anchor))
        else:
            day = data.draw(st.sampled_from(local_days(snaps, tz)))
            t = words.at(day.isoformat(), tz, t_now(), CLI)
            assert t == ref.last_instant(day, tz)
        [row] = rows.growth_rows(engine, config, period=period, at=t, group=None)
        expected = ref.growth_row(snaps, t, period, tz)
        got = {k: row[k] for k in expected}  # type: ignore[literal-required]
        assert got == expected, (period, t)


@EXAMPLES
@given(data=st.data(), history=histories())
def test_report_and_snapshots_match_the_reference(
    account: tuple[Engine, int], data: st.DataObject, history: Any
) -> None:
    engine, account_id = account
    tz, snaps, _ = history
    store(engine, account_id, snaps)
    config = settings_for(["a.bsky.social"], timezone=tz)
    days = local_days(snaps, tz)
    first_day = data.draw(st.sampled_from(days))
    last_day = data.draw(st.sampled_from([d for d in days if d >= first_day]))
    last_instant = ref.last_instant(last_day, tz)
    period = words.report_period(
        None, first_day.isoformat(), last_day.isoformat(), config, CLI, now=last_instant
    )
    assert (period.first, period.last) == (
        ref.first_instant(first_day, tz),
        ref.last_instant(last_day, tz),
    )
    [line] = rows.report(engine, config, first=period.first, last=period.last)
    expected = ref.report_row(snaps, period.first, period.last)
    assert (line["followers_change"], line["followers_growth_pct"], line["posts_in_period"]) == (
        expected["change"],
        expected["pct"],
        expected["posts"],
    )
    for end, snapshot in (("start", expected["start"]), ("end", expected["end"])):
        shown = line[end]  # type: ignore[literal-required]
        assert (None if shown is None else (shown["followers"], shown["posts"])) == (
            None if snapshot is None else (snapshot.followers, snapshot.posts)
        )
    every = data.draw(st.sampled_from(["raw", "day", "week", "month"]))
    since, until = words.since_until(first_day.isoformat(), last_day.isoformat(), tz, CLI)
    listed = rows.snapshot_rows(engine, config, KEY, since=since, until=until, every=every)  # type: ignore[arg-type]
    wanted = ref.snapshot_rows(snaps, since, until, every, tz)
    assert [(r["captured_at"], r["followers"], r["posts"]) for r in listed] == [
        (s.at, s.followers, s.posts) for s in wanted
    ]


@EXAMPLES
@given(data=st.data(), history=histories())
def test_the_digest_matches_the_reference(
    account: tuple[Engine, int], data: st.DataObject, history: Any
) -> None:
    engine, account_id = account
    tz, snaps, _ = history
    store(engine, account_id, snaps)
    config: Settings = settings_for(["a.bsky.social"], timezone=tz)
    day = data.draw(st.sampled_from(local_days(snaps, tz)))
    digest = build_digest(engine, config, day, now=t_now())
    line = digest.account(KEY)
    at = ref.last_instant(day, tz)
    assert digest.at == at
    assert list(line.daily) == ref.daily_followers(snaps, day, tz)
    now = ref.current(snaps, at)
    assert (line.followers, line.posts) == (
        (None, None) if now is None else (now.followers, now.posts)
    )
    # The last data: the newest point of any quality on the charts' 30 days, else the figure's.
    charts_from = ref.first_instant(day - timedelta(days=29), tz)
    newest = max((s.at for s in snaps if charts_from <= s.at <= at), default=None)
    assert line.last_data_at == (newest or (None if now is None else now.at))
    for window in ("1d", "7d", "30d", "365d"):
        expected = ref.growth_row(snaps, at, window, tz)
        assert (line.change[window], line.growth_pct[window], line.posts_change[window]) == (
            expected["change"],
            expected["growth_pct"],
            expected["posts_change"],
        ), window


def t_now() -> datetime:
    """A fixed "now" after every generated history, so every day asked for is over."""
    return datetime(2026, 6, 1, tzinfo=UTC)
