"""The last good count of each local day, ranked inside the database, against a plain model."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from bot.clock import day_start
from bot.config import AccountSettings, Settings
from bot.digest.build import build_digest
from bot.growth import Point
from bot.kinds import Quality
from bot.store.days import daily_counts, daily_points
from bot.store.writes import insert_snapshots
from tests.helpers.store import snap
from tests.store.test_reads import configured

BERLIN = ZoneInfo("Europe/Berlin")
FIRST = date(2021, 3, 20)  # the days span 28 March, 23 hours long in Berlin
DAYS = 14


class Taken(NamedTuple):
    account_id: int
    at: datetime
    followers: int | None
    quality: Quality


def _history(ids: list[int], seed: int) -> list[Taken]:
    """Up to 60 snapshots an account at random minutes, from two days before the first day to
    two after the last: a fifth suspect, a tenth without a follower count."""
    rng = random.Random(seed)
    start = day_start(FIRST, BERLIN) - timedelta(days=2)
    taken = []
    for account_id in ids:
        for minutes in sorted(rng.sample(range((DAYS + 4) * 24 * 60), rng.randint(0, 60))):
            quality = Quality.SUSPECT if rng.random() < 0.2 else Quality.OK
            followers = None if rng.random() < 0.1 else rng.randint(0, 10_000)
            taken.append(Taken(account_id, start + timedelta(minutes=minutes), followers, quality))
    return taken


def _model(taken: list[Taken], first: datetime, until: datetime) -> dict[int, list[Point]]:
    """Each account's last good point with a count per local day, in time order."""
    last: dict[int, dict[date, Point]] = {}
    for t in sorted(taken, key=lambda t: t.at):
        if t.quality != Quality.SUSPECT and t.followers is not None and first <= t.at <= until:
            last.setdefault(t.account_id, {})[t.at.astimezone(BERLIN).date()] = Point(
                t.at, t.followers
            )
    return {i: list(days.values()) for i, days in last.items()}


def _store(engine: Engine, taken: list[Taken]) -> None:
    rows = [snap(t.account_id, t.at, t.followers, quality=t.quality) for t in taken]
    with engine.begin() as connection:
        insert_snapshots(connection, rows)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_local_day_gives_its_last_good_count(engine: Engine, seed: int) -> None:
    ids = configured(engine, *(f"a{i}.bsky.social" for i in range(12)))
    taken = _history(ids, seed)
    _store(engine, taken)
    starts = [day_start(FIRST + timedelta(days=i), BERLIN) for i in range(DAYS)]
    # The last day cut short, as a digest of today is: nothing after ``until`` counts.
    until = starts[-1] + timedelta(hours=13, minutes=7)
    with engine.connect() as connection:
        found = daily_points(connection, [*ids, 999_999], starts, until)
        counts = daily_counts(connection, [*ids, 999_999], starts, until)
    model = _model(taken, starts[0], until)
    assert {i: [(p.at, p.followers) for p in found[i] if p.followers is not None] for i in ids} == {
        i: [(p.at, p.followers) for p in model.get(i, [])] for i in ids
    }
    days = [FIRST + timedelta(days=d) for d in range(DAYS)]
    for i in ids:
        by_day = {p.at.astimezone(BERLIN).date(): p.followers for p in model.get(i, [])}
        assert counts[i] == tuple(by_day.get(d) for d in days), i
        # Between the first and the last counted day, each day without a count is a gap point.
        counted = [d for d, count in enumerate(counts[i]) if count is not None]
        gaps = [
            starts[d] for d in counted and range(counted[0], counted[-1]) if counts[i][d] is None
        ]
        assert [p.at for p in found[i] if p.followers is None] == gaps, i
    assert found[999_999] == [] and counts[999_999] == (None,) * DAYS
    assert sum(len(points) for points in found.values()) > 3 * len(ids)  # the test has data


def test_day_boundaries_a_25_hour_day_the_cut_off_and_a_day_without_a_count(
    engine: Engine,
) -> None:
    steady, gappy = configured(engine, "steady.bsky.social", "gappy.bsky.social")
    # 31 October 2021 was 25 hours long in Berlin.
    starts = [day_start(date(2021, 10, d), BERLIN) for d in (30, 31)] + [
        day_start(date(2021, 11, 1), BERLIN)
    ]
    until = starts[2] + timedelta(hours=10)
    local = timedelta(hours=23, minutes=30)  # 22:30 on the clock, in the 25th hour's day
    taken = [
        Taken(steady, starts[0] + timedelta(hours=12), 1, Quality.OK),
        Taken(steady, starts[1], 2, Quality.OK),  # the day's first instant is the day's
        Taken(steady, starts[1] + local, 3, Quality.OK),
        Taken(steady, until, 4, Quality.OK),  # at the cut-off: counts
        Taken(steady, until + timedelta(microseconds=1), 5, Quality.OK),  # after it: not
        Taken(gappy, starts[0] + timedelta(hours=1), 10, Quality.OK),
        Taken(gappy, starts[1] + timedelta(hours=2), None, Quality.OK),  # no count that day
        Taken(gappy, starts[2] - timedelta(microseconds=1), 11, Quality.SUSPECT),
        Taken(gappy, starts[2], 12, Quality.OK),
    ]
    _store(engine, taken)
    with engine.connect() as connection:
        counts = daily_counts(connection, [steady, gappy], starts, until)
        points = daily_points(connection, [steady, gappy], starts, until)
    assert counts == {steady: (1, 3, 4), gappy: (10, None, 12)}
    assert [(p.at, p.followers) for p in points[steady]] == [
        (starts[0] + timedelta(hours=12), 1),
        (starts[1] + local, 3),
        (until, 4),
    ]
    assert [(p.at, p.followers) for p in points[gappy]] == [
        (starts[0] + timedelta(hours=1), 10),
        (starts[1], None),
        (starts[2], 12),
    ]
    assert starts[2] - starts[1] == timedelta(hours=25)


def test_a_digest_charts_each_days_last_count_however_often_an_account_was_polled(
    engine: Engine,
) -> None:
    (account_id,) = configured(engine, "busy.bsky.social")
    day = date(2021, 3, 29)
    first = day_start(day - timedelta(days=2), BERLIN)
    taken = [Taken(account_id, first + timedelta(hours=h), 100 + h, Quality.OK) for h in range(71)]
    taken.append(Taken(account_id, first + timedelta(hours=70, minutes=30), 5, Quality.SUSPECT))
    _store(engine, taken)
    settings = Settings(accounts=(AccountSettings("bluesky", "busy.bsky.social"),), timezone=BERLIN)
    (line,) = build_digest(engine, settings, day).accounts
    # 71 hours: 27 March was 24 hours long, the 28th 23, the 29th 24. One point each, the
    # day's last.
    assert [(p.at.astimezone(BERLIN).date(), p.followers) for p in line.points] == [
        (date(2021, 3, 27), 123),
        (date(2021, 3, 28), 146),
        (date(2021, 3, 29), 170),
    ]
    assert line.daily[-3:] == (123, 146, 170) and line.followers == 170
    # The suspect point, the newest, is still the account's last data.
    assert line.last_data_at == first + timedelta(hours=70, minutes=30)


def test_only_the_first_charted_accounts_with_two_days_get_points(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    handles = ["a.bsky.social", "b.bsky.social", "c.bsky.social", "d.bsky.social"]
    ids = configured(engine, *handles)
    day = date(2021, 3, 29)
    first = day_start(day, BERLIN) - timedelta(days=1)
    # a: one day only; b, c and d: two days. The digest orders the biggest first: d, a, c, b,
    # and charts d and c (a has one day).
    counts: dict[str, list[int | None]] = {
        "a": [None, 50],
        "b": [10, 20],
        "c": [30, 40],
        "d": [60, 70],
    }
    taken = [
        Taken(account_id, first + timedelta(days=d, hours=12), count, Quality.OK)
        for account_id, name in zip(ids, counts, strict=True)
        for d, count in enumerate(counts[name])
        if count is not None
    ]
    _store(engine, taken)
    monkeypatch.setattr("bot.digest.build.CHARTS", 2)
    accounts = tuple(AccountSettings("bluesky", h) for h in handles)
    digest = build_digest(engine, Settings(accounts=accounts, timezone=BERLIN), day)
    charted = {line.handle[0]: [p.followers for p in line.points] for line in digest.accounts}
    assert [line.handle[0] for line in digest.accounts] == ["d", "a", "c", "b"]
    assert charted == {"d": [60, 70], "a": [], "c": [30, 40], "b": []}
    daily = [line.daily[-2:] for line in digest.accounts]
    assert daily == [(60, 70), (None, 50), (30, 40), (10, 20)]
