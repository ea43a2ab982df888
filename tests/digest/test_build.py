"""Building the digest: windows, groups, milestones, projections, movers, anomalies, failures.

The history is tests/digest_history.py (its docstring lists what each account exercises); the
pure rules of bot/digest/events.py are tested on plain values first.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import day_bounds
from bot.config import AccountSettings, Settings, load_settings
from bot.digest import build_digest, events
from bot.digest.fmt import sparkline
from bot.errors import ConfigError, InputError
from bot.growth import Point
from bot.store.accounts import sync_accounts
from bot.store.models import Account
from tests.helpers import digest_history
from tests.helpers.digest_history import TZ, utc

DAY = date(2024, 3, 31)


def p(at: datetime, followers: int | None) -> Point:
    return Point(at, followers)


# --- pure rules --------------------------------------------------------------------------------


def test_default_milestones_are_round_numbers() -> None:
    assert events.DEFAULT_MILESTONES[:12] == (
        1_000,
        5_000,
        10_000,
        25_000,
        50_000,
        100_000,
        250_000,
        500_000,
        1_000_000,
        2_500_000,
        5_000_000,
        10_000_000,
    )


@pytest.mark.parametrize(
    ("start", "counts", "expected"),
    [
        (990, [995, 1_001, 1_002], [(1_000, 1)]),  # first snapshot at or above
        (990, [995, 999], []),
        (1_000, [1_200], []),  # already there at the start of the day
        (None, [1_200], []),  # no count before the day: not a crossing
        (4_900, [5_100, 10_200], [(5_000, 0), (10_000, 1)]),
        (4_900, [26_000], [(5_000, 0), (10_000, 0), (25_000, 0)]),  # a jump crosses several
        (9_990, [None, 10_000], [(10_000, 1)]),  # a missing count is skipped
        (9_990, [10_010, 9_980, 10_020], [(10_000, 0)]),  # crossed once per day
    ],
)
def test_milestones_crossed(
    start: int | None, counts: list[int | None], expected: list[tuple[int, int]]
) -> None:
    times = [utc(2024, 3, 31, h) for h in range(len(counts))]
    points = [p(at, count) for at, count in zip(times, counts, strict=True)]
    found = events.crossed(events.DEFAULT_MILESTONES, start, points)
    assert found == [(value, times[index]) for value, index in expected]


def test_next_milestone() -> None:
    assert events.next_milestone(events.DEFAULT_MILESTONES, 999) == 1_000
    assert events.next_milestone(events.DEFAULT_MILESTONES, 1_000) == 5_000
    assert events.next_milestone((100, 200), 250) is None
    assert events.next_milestone((100, 200), None) is None


def test_pace_is_followers_per_day() -> None:
    assert events.pace(300, utc(2024, 3, 1), utc(2024, 3, 31)) == 10.0
    assert events.pace(None, utc(2024, 3, 1), utc(2024, 3, 31)) is None
    assert events.pace(5, utc(2024, 3, 2), utc(2024, 3, 1)) is None


def test_projection_central_date_and_range() -> None:
    today = date(2024, 3, 31)
    # 1,000 to go at 10 a day: 100 days; band ±25% -> 80 and 134 days.
    found = events.project(9_000, 10_000, today, 10.0, 10.0)
    assert found == events.Range(
        expected=today + timedelta(days=100),
        earliest=today + timedelta(days=80),
        latest=today + timedelta(days=134),
    )
    # A faster last week widens the range towards it.
    faster = events.project(9_000, 10_000, today, 10.0, 20.0)
    assert faster is not None and faster.earliest == today + timedelta(days=50)
    assert faster.expected == today + timedelta(days=100)
    # A flat or falling last week is left out: the band still gives a finite range.
    flat = events.project(9_000, 10_000, today, 10.0, -3.0)
    assert flat is not None and flat.latest == today + timedelta(days=134)


@pytest.mark.parametrize("pace30", [None, 0.0, -5.0])
def test_no_projection_when_not_growing(pace30: float | None) -> None:
    assert events.project(9_000, 10_000, date(2024, 3, 31), pace30, 10.0) is None


def test_projection_horizon() -> None:
    today = date(2024, 3, 31)
    assert events.project(0, 10_000, today, 1.0, 1.0) is None  # 27 years away
    near = events.project(9_000, 10_000, today, 1.0, 1.0)  # 1,000 days; the slow end is beyond
    assert near is not None and near.latest is None
    assert near.expected == today + timedelta(days=1_000)


def test_movers_rank_by_growth_then_change() -> None:
    moves = [
        events.Move("a", 100, 1.0),
        events.Move("b", 50, 5.0),
        events.Move("c", 500, 5.0),
        events.Move("d", -10, -0.5),
        events.Move("e", -900, -9.0),
        events.Move("f", 0, 0.0),  # no move
        events.Move("g", None, None),  # no history
        events.Move("h", 10, 0.1),
    ]
    ups, downs = events.movers(moves)
    assert [m.key for m in ups] == ["c", "b", "a"]
    assert [m.key for m in downs] == ["e", "d"]


@pytest.mark.parametrize(
    ("dropped", "totals", "expected"),
    [
        ({"x": {"a", "b"}}, {"x": 2}, [("x", ("a", "b"))]),
        ({"x": {"a", "b"}}, {"x": 4}, [("x", ("a", "b"))]),  # half of them
        ({"x": {"a", "b"}}, {"x": 5}, []),  # fewer than half
        ({"x": {"a"}}, {"x": 1}, []),  # one account is not an event
        ({"x": {"a", "b"}, "y": {"c"}}, {"x": 3, "y": 1}, [("x", ("a", "b"))]),
    ],
)
def test_platform_events(
    dropped: dict[str, set[str]], totals: dict[str, int], expected: list[object]
) -> None:
    assert events.platform_events(dropped, totals) == expected


def test_day_drop_needs_a_real_loss_of_a_real_audience() -> None:
    assert events.is_day_drop(10_000, -1.5)
    assert not events.is_day_drop(10_000, -0.5)
    assert not events.is_day_drop(50, -10.0)
    assert not events.is_day_drop(None, -10.0)


def test_sparkline_scales_and_keeps_gaps() -> None:
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5, None, 5]) == "▄ ▄"
    assert sparkline([None, None]) == "  "
    assert sparkline([0, 100]) == "▁█"


def test_day_bounds_follow_the_zone() -> None:
    assert day_bounds(DAY, TZ) == (
        utc(2024, 3, 30, 23),
        utc(2024, 3, 31, 22) - timedelta.resolution,
    )
    first, last = day_bounds(date(2024, 10, 27), TZ)  # clocks go back: 25 hours
    assert last - first == timedelta(hours=25) - timedelta.resolution


# --- config ------------------------------------------------------------------------------------


def test_milestones_config_key(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text("[bot]\nmilestones = [50000, 1000, 1000]\n", encoding="utf-8")
    assert load_settings(path, environ={}).milestones == (1_000, 50_000)
    path.write_text("[bot]\n", encoding="utf-8")
    assert load_settings(path, environ={}).milestones == ()


@pytest.mark.parametrize("value", ["[0]", "[-5, 1000]", '"1k"', "[]", "[true]", "[1.5]"])
def test_bad_milestones_name_the_key(tmp_path: Path, value: str) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(f"[bot]\nmilestones = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"accounts\.toml: bot\.milestones: expected a non-empty"):
        load_settings(path, environ={})


# --- the fixed history -------------------------------------------------------------------------


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return digest_history.load(engine)


def spec(handle: str) -> digest_history.Spec:
    return next(s for s in digest_history.SPECS if s.handle == handle)


def test_state_at_the_end_of_the_local_day(engine: Engine, settings: Settings) -> None:
    digest = build_digest(engine, settings, DAY)
    assert digest.complete and digest.at == utc(2024, 3, 31, 22) - timedelta.resolution
    comms = digest.account("mastodon:comms@social.example")
    # The 22:30Z snapshot is 1 April in Paris: the day ends with the 18:00Z one.
    last = utc(2024, 3, 31, 18)
    assert comms.followers == spec("comms@social.example").followers(last) != 25_400
    assert comms.posts == spec("comms@social.example").posts(last)
    assert comms.last_data_at == last and comms.status == "active"
    assert all(comms.change[w] is not None for w in ("1d", "7d", "30d", "365d"))
    assert comms.daily[-1] == comms.followers and len(comms.daily) == 30
    assert not any(m.milestone == 25_000 for m in digest.milestones)


def test_windows_are_null_when_history_is_short(engine: Engine, settings: Settings) -> None:
    digest = build_digest(engine, settings, DAY)
    bluesky = digest.account("bluesky:acme.example")
    assert bluesky.change["1d"] is not None and bluesky.change["30d"] is not None
    assert bluesky.change["7d"] is None and bluesky.growth_pct["7d"] is None  # the gap
    assert bluesky.posts_change["7d"] is None
    assert bluesky.change["365d"] is None  # since January
    assert bluesky.daily[-12:-4] == (None,) * 8  # 20-27 March, no data
    news = digest.account("x:acme_news")
    assert news.change["30d"] is not None and news.change["365d"] is None
    new = digest.account("mastodon:new@social.example")
    assert new.change["1d"] is not None
    assert (new.change["7d"], new.change["30d"], new.change["365d"]) == (None, None, None)


def test_missing_and_rounded_counters(engine: Engine, settings: Settings) -> None:
    digest = build_digest(engine, settings, DAY)
    facebook = digest.account("facebook:acmepage")
    assert facebook.posts is None and set(facebook.posts_change.values()) == {None}
    youtube = digest.account("youtube:UCacme")
    # 3 significant figures: the true count moves 150 a day, the rounded one in steps of 10,000.
    assert youtube.followers is not None and youtube.followers % 10_000 == 0
    assert youtube.change["1d"] == 0 and youtube.growth_pct["1d"] == 0.0
    assert youtube.change["365d"] is not None and youtube.change["365d"] % 10_000 == 0


def test_suspect_points_stay_out_of_growth(engine: Engine, settings: Settings) -> None:
    digest = build_digest(engine, settings, DAY)
    news = digest.account("x:acme_news")
    assert news.followers == spec("acme_news").followers(utc(2024, 3, 31, 18))
    assert 0 not in news.daily and 0 not in [pt.followers for pt in news.points]
    acme = digest.account("x:acme")
    # A confirmed drop is real: it counts.
    assert acme.growth_pct["1d"] is not None and acme.growth_pct["1d"] < -29


def test_anomalies_and_platform_event(engine: Engine, settings: Settings) -> None:
    digest = build_digest(engine, settings, DAY)
    found = [(a.kind, a.platform, a.handle, a.at, a.followers) for a in digest.anomalies]
    drop_at = utc(2024, 3, 31, 6)
    assert found == [
        ("confirmed_drop", "x", "acme", drop_at, spec("acme").followers(drop_at)),
        ("suspect", "x", "acme_news", utc(2024, 3, 31, 12), 0),
        ("platform_event", "x", None, None, None),
    ]
    assert digest.anomalies[0].previous == spec("acme").followers(utc(2024, 3, 31, 0))
    assert digest.anomalies[1].previous == spec("acme_news").followers(utc(2024, 3, 31, 6))
    assert digest.anomalies[2].handles == ("acme", "acme_news")


def test_milestone_crossed_after_local_midnight(engine: Engine, settings: Settings) -> None:
    digest = build_digest(engine, settings, DAY)
    assert [(m.platform, m.handle, m.milestone, m.crossed_at) for m in digest.milestones] == [
        ("facebook", "acmepage", 100_000, utc(2024, 3, 30, 23, 30))
    ]
    # 23:30Z on 30 March is 31 March in Paris: no digest of 30 March reports it.
    assert build_digest(engine, settings, date(2024, 3, 30)).milestones == ()


def test_configured_milestones(engine: Engine, settings: Settings) -> None:
    custom = Settings(timezone=TZ, accounts=settings.accounts, milestones=(12_620,))
    digest = build_digest(engine, custom, DAY)
    assert [(m.handle, m.milestone) for m in digest.milestones] == [
        ("comms@social.example", 12_620)
    ]


def test_projections(engine: Engine, settings: Settings) -> None:
    digest = build_digest(engine, settings, DAY)
    bluesky = next(x for x in digest.projections if x.handle == "acme.example")
    assert (bluesky.milestone, bluesky.pace_per_day) == (5_000, 25.0)
    assert bluesky.earliest <= bluesky.expected <= (bluesky.latest or date.max)
    # (5,000 - 4,918) / 25 a day = 3.3 -> 4 days after the last snapshot's day.
    assert bluesky.expected == date(2024, 4, 4)
    keys = {(x.platform, x.handle) for x in digest.projections}
    assert ("youtube", "UCacme") not in keys  # flat over 30 days (rounded)
    assert ("x", "acme") not in keys  # falling
    assert [x.expected for x in digest.projections] == sorted(
        x.expected for x in digest.projections
    )


def test_movers(engine: Engine, settings: Settings) -> None:
    digest = build_digest(engine, settings, DAY)
    week_down = [m.handle for m in digest.movers if m.period == "7d" and m.direction == "down"]
    assert week_down == ["acme"]
    month_up = [m.handle for m in digest.movers if m.period == "30d" and m.direction == "up"]
    assert month_up[0] == "acme.example" and len(month_up) == 3


def test_failing_and_stale_accounts(engine: Engine, settings: Settings) -> None:
    digest = build_digest(engine, settings, DAY)
    assert [(f.platform, f.status, f.message) for f in digest.failures] == [
        ("telegram", "failing", "timed out after 30 s"),
        ("github", "stale", None),
    ]
    assert digest.failures[1].last_data_at == utc(2024, 3, 25, 12)
    assert digest.account("github:acme-labs").status == "stale"
    assert digest.account("telegram:@acmechannel").status == "failing"


def test_groups_and_totals(engine: Engine, settings: Settings) -> None:
    digest = build_digest(engine, settings, DAY)
    assert [g.name for g in digest.groups] == ["institution", "peers", None]
    institution, peers, other = digest.groups
    lines = digest.group_lines(institution)
    assert [line.followers for line in lines] == sorted(
        (line.followers or 0 for line in lines), reverse=True
    )
    assert institution.followers == sum(line.followers or 0 for line in lines)
    assert institution.change["7d"] == sum(line.change["7d"] or 0 for line in lines)
    # Facebook has no post counter: it does not block the posts total.
    assert institution.posts_change["7d"] == sum(line.posts_change["7d"] or 0 for line in lines)
    # Two peers lack a 7-day window: no total is invented.
    assert peers.change["7d"] is None and peers.change["1d"] is not None
    assert set(other.accounts) == {"telegram:@acmechannel", "github:acme-labs"}
    assert [line.key for line in digest.accounts] == [k for g in digest.groups for k in g.accounts]


def test_leap_day_digest_is_of_its_own_time(engine: Engine, settings: Settings) -> None:
    digest = build_digest(engine, settings, date(2024, 2, 29))
    assert digest.at == utc(2024, 2, 29, 23) - timedelta.resolution  # CET: UTC+1
    assert digest.failures == ()  # the timeout came a month later
    assert digest.milestones == () and digest.anomalies == ()
    comms = digest.account("mastodon:comms@social.example")
    assert comms.followers == spec("comms@social.example").followers(utc(2024, 2, 29, 18))
    # 365 days before the end of 29 February 2024 is the end of 1 March 2023 (22:00Z): the
    # nearest snapshot is 00:00Z on 2 March.
    baseline = spec("comms@social.example").followers(utc(2023, 3, 2, 0))
    assert comms.change["365d"] == (comms.followers or 0) - baseline


def test_state_so_far_today(engine: Engine, settings: Settings) -> None:
    now = utc(2024, 3, 30, 23, 10)  # 00:10 in Paris: the milestone is 20 minutes away
    digest = build_digest(engine, settings, DAY, now=now)
    assert digest.at == now and not digest.complete
    assert digest.milestones == ()
    later = build_digest(engine, settings, DAY, now=utc(2024, 3, 30, 23, 40))
    assert [m.milestone for m in later.milestones] == [100_000]
    with pytest.raises(InputError, match="has not started yet"):
        build_digest(engine, settings, date(2024, 4, 2), now=utc(2024, 3, 31, 12))


def test_only_configured_accounts_that_existed(engine: Engine, settings: Settings) -> None:
    with Session(engine) as session:
        session.add(Account(platform="bluesky", handle="gone.example", created_at=utc(2023, 1, 1)))
        session.add(Account(platform="bluesky", handle="later.example", created_at=utc(2024, 6, 1)))
        session.commit()
    later = AccountSettings("bluesky", "later.example")
    configured = Settings(timezone=TZ, accounts=(*settings.accounts, later))
    with Session(engine) as session:  # as every command does: the file's accounts applied
        sync_accounts(session, configured, utc(2024, 6, 1))
    keys = [line.key for line in build_digest(engine, configured, DAY).accounts]
    assert "bluesky:gone.example" not in keys  # stored, no longer configured
    assert "bluesky:later.example" not in keys  # added after that day
    assert len(keys) == len(digest_history.SPECS)
    # Without declared accounts, every stored one that existed then.
    with Session(engine) as session:
        sync_accounts(session, Settings(timezone=TZ), utc(2024, 6, 1))
    everything = build_digest(engine, Settings(timezone=TZ), DAY)
    assert "bluesky:gone.example" in [line.key for line in everything.accounts]


def test_empty_database(engine: Engine) -> None:
    digest = build_digest(engine, Settings(timezone=TZ), DAY, now=datetime(2024, 4, 1, tzinfo=UTC))
    assert digest.accounts == () and digest.groups == () and digest.to_json()["accounts"] == []


# --- issue 15: the series covers whole local days ----------------------------------------------


def test_the_series_keeps_its_first_day_when_the_window_holds_a_25_hour_day(engine: Engine) -> None:
    from bot.store.writes import insert_snapshots
    from tests.helpers.settings import settings_for
    from tests.helpers.store import snap

    paris = TZ  # Europe/Paris: clocks go back on 27 October, a 25-hour day
    first_hour = datetime(2024, 10, 1, 0, 30, tzinfo=paris).astimezone(UTC)
    with Session(engine) as session:
        account = Account(platform="bluesky", handle="a.bsky.social", created_at=first_hour)
        session.add(account)
        session.commit()
        account_id = account.id or 0
    with engine.begin() as connection:
        insert_snapshots(connection, [snap(account_id, first_hour, 1_000)])
    settings = settings_for(["a.bsky.social"], timezone=paris)
    digest = build_digest(engine, settings, date(2024, 10, 30))
    line = digest.account("bluesky:a.bsky.social")
    assert line.daily[0] == 1_000  # 1 October, the window's first local day


# --- issue 11: a past day's digest is what was known by the end of that day ---------------------


@pytest.mark.parametrize("polled_before", [True, False])
def test_a_past_digest_is_the_same_after_later_polls(engine: Engine, polled_before: bool) -> None:
    from bot.digest import render_digest
    from bot.kinds import AccountStatus, PollOutcome
    from bot.store.models import PollAttempt
    from bot.store.writes import insert_snapshots
    from tests.helpers.settings import settings_for
    from tests.helpers.store import snap

    nov_30 = date(2024, 11, 30)
    start = utc(2024, 11, 1, 9)
    with Session(engine) as session:
        account = Account(platform="bluesky", handle="a.bsky.social", created_at=start)
        session.add(account)
        session.commit()
        account_id = account.id or 0
    days = [start + timedelta(days=i) for i in range(30)]
    with engine.begin() as connection:
        insert_snapshots(connection, [snap(account_id, at, 1_000 + i) for i, at in enumerate(days)])
    with Session(engine) as session:
        if polled_before:
            for at in days:
                session.add(
                    PollAttempt(account_id=account_id, started_at=at, duration_ms=5, outcome="ok")
                )
        session.commit()
    settings = settings_for(["a.bsky.social"], timezone=TZ)
    now = utc(2024, 12, 5)
    before = {
        f: render_digest(build_digest(engine, settings, nov_30, now=now), f)
        for f in ("json", "text")
    }
    with Session(engine) as session:  # 1 December: the account is gone
        session.add(
            PollAttempt(
                account_id=account_id,
                started_at=utc(2024, 12, 1, 9),
                duration_ms=5,
                outcome=PollOutcome.NOT_FOUND,
                message="Profile not found",
            )
        )
        stored = session.get(Account, account_id)
        assert stored is not None
        stored.status = AccountStatus.NOT_FOUND
        stored.last_error = "Profile not found"
        session.add(stored)
        session.commit()
    after = {
        f: render_digest(build_digest(engine, settings, nov_30, now=now), f)
        for f in ("json", "text")
    }
    assert after == before
    assert "not_found" not in after["json"]
