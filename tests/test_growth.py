"""Tests for bot.growth: pure growth maths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.growth import (
    PERIOD_NAMES,
    PERIODS,
    Growth,
    Point,
    ReportLine,
    counter_change,
    growth,
    growth_pct,
    nearest,
    parse_period,
    period_target,
    report_line,
    tolerance,
    year_bounds,
)
from tests.helpers.report_model import pick_report_points

NEW_YORK = ZoneInfo("America/New_York")
CASABLANCA = ZoneInfo("Africa/Casablanca")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")
APIA = ZoneInfo("Pacific/Apia")
LONDON = ZoneInfo("Europe/London")

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def pt(at: datetime, followers: int | None = 100, posts: int | None = None) -> Point:
    return Point(at=at, followers=followers, posts=posts)


# --- periods -----------------------------------------------------------------


def test_period_names_and_deltas() -> None:
    assert PERIOD_NAMES == ("1d", "7d", "30d", "90d", "365d", "ytd")
    assert dict(PERIODS) == {
        "1d": timedelta(days=1),
        "7d": timedelta(days=7),
        "30d": timedelta(days=30),
        "90d": timedelta(days=90),
        "365d": timedelta(days=365),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1d", "1d"), ("7d", "7d"), (" 30D ", "30d"), ("365d", "365d"), ("YTD", "ytd")],
)
def test_parse_period_canonical(text: str, expected: str) -> None:
    assert parse_period(text) == expected


@pytest.mark.parametrize("text", ["x", "", "2d", "1y", "7 d", "ytd2"])
def test_parse_period_rejects_unknown(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_period(text)
    assert str(info.value) == (
        f"unknown period {text!r}: expected one of 1d, 7d, 30d, 90d, 365d, ytd"
    )


def test_parse_period_message_matches_spec() -> None:
    with pytest.raises(ValueError, match=r"^unknown period 'x': expected one of 1d, 7d, "):
        parse_period("x")


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("1d", timedelta(hours=3)),
        ("7d", timedelta(hours=21)),
        ("30d", timedelta(days=3, hours=18)),
        ("90d", timedelta(days=7)),
        ("365d", timedelta(days=7)),
        ("ytd", timedelta(days=1)),
    ],
)
def test_tolerance_table(period: str, expected: timedelta) -> None:
    assert tolerance(period) == expected
    assert tolerance(period, T0, NEW_YORK) == expected


def test_tolerance_rejects_unknown_period() -> None:
    with pytest.raises(ValueError, match="unknown period"):
        tolerance("2d")


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("1d", utc(2024, 5, 31, 12)),
        ("7d", utc(2024, 5, 25, 12)),
        ("30d", utc(2024, 5, 2, 12)),
        ("90d", utc(2024, 3, 3, 12)),
        ("365d", utc(2023, 6, 2, 12)),  # 2024 is a leap year: 365 days is not "one year ago"
    ],
)
def test_period_target_fixed_periods(period: str, expected: datetime) -> None:
    assert period_target(period, T0, NEW_YORK) == expected


@pytest.mark.parametrize(
    ("at", "tz", "expected"),
    [
        # Casablanca is UTC+1 on Jan 1: its 2024 starts at 23:00 UTC on Dec 31.
        (utc(2023, 12, 31, 23, 30), CASABLANCA, utc(2023, 12, 31, 23)),
        (utc(2023, 12, 31, 22, 30), CASABLANCA, utc(2022, 12, 31, 23)),
        # New York in July is on EDT (-4) but Jan 1 was EST (-5).
        (utc(2024, 7, 15, 12), NEW_YORK, utc(2024, 1, 1, 5)),
        # 03:00 UTC on Jan 1 is still Dec 31 in New York.
        (utc(2024, 1, 1, 3), NEW_YORK, utc(2023, 1, 1, 5)),
        # Kiritimati (UTC+14) enters the new year at 10:00 UTC on Dec 31.
        (utc(2023, 12, 31, 10), KIRITIMATI, utc(2023, 12, 31, 10)),
        (utc(2023, 12, 31, 9, 59, 59), KIRITIMATI, utc(2022, 12, 31, 10)),
        (utc(2024, 3, 1), KIRITIMATI, utc(2023, 12, 31, 10)),
        (utc(2024, 3, 1), ZoneInfo("UTC"), utc(2024, 1, 1)),
    ],
)
def test_period_target_ytd_across_zones(at: datetime, tz: ZoneInfo, expected: datetime) -> None:
    target = period_target("ytd", at, tz)
    assert target == expected
    assert target.utcoffset() == timedelta(0)


def test_period_target_ytd_accepts_non_utc_input() -> None:
    at = datetime(2024, 1, 1, 0, 30, tzinfo=NEW_YORK)  # 05:30 UTC, already 2024 locally
    assert period_target("ytd", at, NEW_YORK) == utc(2024, 1, 1, 5)


def test_period_target_rejects_naive_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        period_target("7d", datetime(2024, 1, 1), NEW_YORK)


# --- nearest -------------------------------------------------------------------

BEFORE_2H = pt(T0 - timedelta(hours=2), 1)
BEFORE_1H = pt(T0 - timedelta(hours=1), 2)
AFTER_1H = pt(T0 + timedelta(hours=1), 3)
AFTER_2H = pt(T0 + timedelta(hours=2), 4)
AT_TARGET = pt(T0, 5)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("before", "after", "tol", "expected"),
    [
        (BEFORE_1H, AFTER_2H, 3 * HOUR, BEFORE_1H),
        (BEFORE_2H, AFTER_1H, 3 * HOUR, AFTER_1H),
        (BEFORE_1H, AFTER_1H, 3 * HOUR, BEFORE_1H),  # tie -> before
        (BEFORE_2H, AT_TARGET, HOUR, AT_TARGET),
        (BEFORE_2H, AFTER_2H, HOUR, None),  # both out of tolerance
        (BEFORE_2H, AFTER_1H, HOUR, AFTER_1H),  # only after within (boundary inclusive)
        (BEFORE_1H, AFTER_2H, HOUR, BEFORE_1H),  # tolerance is inclusive
        (BEFORE_2H, None, 3 * HOUR, BEFORE_2H),
        (None, AFTER_2H, 3 * HOUR, AFTER_2H),
        (None, None, 3 * HOUR, None),
        (BEFORE_2H, None, HOUR, None),
    ],
)
def test_nearest(
    before: Point | None, after: Point | None, tol: timedelta, expected: Point | None
) -> None:
    assert nearest(T0, before, after, tol) is expected


offsets = st.integers(min_value=-10_000, max_value=10_000).map(lambda m: timedelta(minutes=m))


@given(
    b=st.one_of(st.none(), offsets),
    a=st.one_of(st.none(), offsets),
    tol=st.integers(0, 5_000).map(lambda m: timedelta(minutes=m)),
)
def test_nearest_property(b: timedelta | None, a: timedelta | None, tol: timedelta) -> None:
    before = None if b is None else pt(T0 + b, 1)
    after = None if a is None else pt(T0 + a, 2)
    chosen = nearest(T0, before, after, tol)
    within = [p for p in (before, after) if p is not None and abs(p.at - T0) <= tol]
    if not within:
        assert chosen is None
        return
    assert chosen is not None
    assert abs(chosen.at - T0) == min(abs(p.at - T0) for p in within)


# --- growth_pct / counter_change ------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        (191_903, 282_638, 47.28),
        (226_482, 317_074, 40.0),
        (100, 150, 50.0),
        (100, 50, -50.0),
        (100, 100, 0.0),
        (3, 4, 33.33),
        (3, 5, 66.67),
        (3, 0, -100.0),
        # Exact ties round away from zero; the float quotient lands below the tie here.
        (160, 183, 14.38),
        (32, 49, 53.13),
        (160, 111, -30.63),
        (20_000, 20_001, 0.01),
        (20_000, 19_999, -0.01),
        (1_000_000, 1_000_001, 0.0),
    ],
)
def test_growth_pct_table(previous: int, current: int, expected: float) -> None:
    result = growth_pct(previous, current)
    assert result == expected
    assert isinstance(result, float)


def test_growth_pct_never_negative_zero() -> None:
    result = growth_pct(1_000_000, 999_999)
    assert result == 0.0
    assert str(result) == "0.0"


@pytest.mark.parametrize(
    ("previous", "current"), [(None, 5), (5, None), (None, None), (0, 5), (0, 0)]
)
def test_growth_pct_undefined(previous: int | None, current: int | None) -> None:
    assert growth_pct(previous, current) is None


def _reference_pct(previous: int, current: int) -> float:
    with localcontext() as ctx:
        ctx.prec = 60
        exact = Decimal(current - previous) * 100 / Decimal(previous)
        return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


counts = st.integers(min_value=0, max_value=10**9)


@given(previous=counts.filter(lambda n: n > 0), current=counts)
def test_growth_pct_matches_decimal_reference(previous: int, current: int) -> None:
    assert growth_pct(previous, current) == _reference_pct(previous, current)


@given(previous=counts.filter(lambda n: n > 0), current=counts)
def test_growth_pct_sign_matches_change_sign(previous: int, current: int) -> None:
    pct = growth_pct(previous, current)
    assert pct is not None
    change = current - previous
    if change == 0:
        assert pct == 0.0
    # A tiny change may round to 0.00 but never to the opposite sign.
    assert pct * change >= 0


@pytest.mark.parametrize(
    ("previous", "current", "step", "expected"),
    [
        (10, 15, 1, 5),
        (15, 10, 1, -5),
        (10_000, 11_061, 1, 1061),
        (123_000, 123_000, 1000, 0),
        (12_300, 12_400, 100, 100),
        (12_300, 12_350, 100, 0),
        (123_000, 123_400, 1000, 0),
        (123_000, 122_500, 1000, 0),
        (123_000, 122_000, 1000, -1000),
        (0, 0, 1, 0),
        (None, 5, 1, None),
        (5, None, 1, None),
        (None, None, 1000, None),
    ],
)
def test_counter_change_table(
    previous: int | None, current: int | None, step: int, expected: int | None
) -> None:
    assert counter_change(previous, current, step=step) == expected


@pytest.mark.parametrize("step", [0, -1])
def test_counter_change_rejects_bad_step(step: int) -> None:
    with pytest.raises(ValueError, match="step"):
        counter_change(1, 2, step=step)


@given(previous=counts, current=counts, step=st.integers(1, 100_000))
def test_counter_change_never_below_step(previous: int, current: int, step: int) -> None:
    change = counter_change(previous, current, step=step)
    assert change is not None
    assert not 0 < abs(change) < step
    assert change in (0, current - previous)


# --- Point ------------------------------------------------------------------------


def test_point_rejects_naive_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        Point(at=datetime(2024, 1, 1), followers=1)


def test_point_rejects_bad_precision() -> None:
    with pytest.raises(ValueError, match="precision"):
        Point(at=T0, followers=1, precision=0)


# --- growth -----------------------------------------------------------------------

WEEK_AGO = T0 - timedelta(days=7)
TOL_7D = timedelta(hours=21)


def test_growth_full_history() -> None:
    current = pt(T0, 282_638, posts=11_061)
    baseline = pt(WEEK_AGO - HOUR, 191_903, posts=10_000)
    other = pt(WEEK_AGO + 2 * HOUR, 200_000, posts=10_050)
    result = growth(current, baseline, other, target=WEEK_AGO, tol=TOL_7D)
    assert result == Growth(
        followers=282_638,
        previous=191_903,
        change=90_735,
        growth_pct=47.28,
        posts_change=1061,
        from_at=WEEK_AGO - HOUR,
        to_at=T0,
        enough_history=True,
    )


def test_growth_picks_after_when_nearer() -> None:
    current = pt(T0, 317_074)
    before = pt(WEEK_AGO - 5 * HOUR, 1)
    after = pt(WEEK_AGO + HOUR, 226_482)
    result = growth(current, before, after, target=WEEK_AGO, tol=TOL_7D)
    assert (result.previous, result.growth_pct, result.from_at) == (226_482, 40.0, after.at)


def _short(followers: int | None, to_at: datetime | None) -> Growth:
    return Growth(followers, None, None, None, None, None, to_at, enough_history=False)


@pytest.mark.parametrize(
    ("current", "before", "after", "expected"),
    [
        (None, pt(WEEK_AGO), None, _short(None, None)),
        (pt(T0, 500), None, None, _short(500, T0)),
        (pt(T0, 500), pt(WEEK_AGO - 22 * HOUR), None, _short(500, T0)),  # out of tolerance
        (pt(T0, None), None, None, _short(None, T0)),
    ],
)
def test_growth_not_enough_history(
    current: Point | None, before: Point | None, after: Point | None, expected: Growth
) -> None:
    assert growth(current, before, after, target=WEEK_AGO, tol=TOL_7D) == expected


def test_growth_baseline_is_current() -> None:
    # Only one snapshot, 2 hours old: with a 3h tolerance on 1d it would be its own baseline.
    only = pt(T0 - 2 * HOUR, 50)
    target = period_target("1d", T0 + 22 * HOUR, NEW_YORK)
    result = growth(only, None, only, target=target, tol=tolerance("1d"))
    assert result == _short(50, only.at)


def test_growth_baseline_after_current_is_rejected() -> None:
    current = pt(T0 - 10 * HOUR, 50)
    after = pt(T0 - 5 * HOUR, 40)
    result = growth(current, None, after, target=T0 - 6 * HOUR, tol=3 * HOUR)
    assert not result.enough_history
    assert result.change is None


def test_growth_missing_followers_never_become_zero() -> None:
    current = pt(T0, None, posts=20)
    baseline = pt(WEEK_AGO, 100, posts=15)
    result = growth(current, baseline, None, target=WEEK_AGO, tol=TOL_7D)
    assert result.enough_history
    assert (result.followers, result.previous) == (None, 100)
    assert result.change is None
    assert result.growth_pct is None
    assert result.posts_change == 5


def test_growth_missing_posts_stay_none() -> None:
    result = growth(pt(T0, 110), pt(WEEK_AGO, 100, posts=15), None, target=WEEK_AGO, tol=TOL_7D)
    assert result.posts_change is None
    assert result.change == 10


def test_growth_previous_zero() -> None:
    result = growth(pt(T0, 10), pt(WEEK_AGO, 0), None, target=WEEK_AGO, tol=TOL_7D)
    assert result.change == 10
    assert result.growth_pct is None
    assert result.enough_history


@pytest.mark.parametrize(
    ("old", "old_precision", "new", "new_precision", "change", "pct"),
    [
        (123_000, 1000, 123_000, 1000, 0, 0.0),
        (12_300, 100, 12_400, 100, 100, 0.81),
        (123_000, 1000, 123_400, 1, 0, 0.0),  # step is the coarser of the two
        (123_400, 1, 123_000, 1000, 0, 0.0),
        (123_000, 1000, 125_000, 1000, 2000, 1.63),
    ],
)
def test_growth_youtube_rounding(
    old: int, old_precision: int, new: int, new_precision: int, change: int, pct: float
) -> None:
    baseline = Point(at=WEEK_AGO, followers=old, posts=40, precision=old_precision)
    current = Point(at=T0, followers=new, posts=41, precision=new_precision)
    result = growth(current, baseline, None, target=WEEK_AGO, tol=TOL_7D)
    assert (result.change, result.growth_pct) == (change, pct)
    assert result.posts_change == 1  # post counts are exact even on rounding platforms


# --- year_bounds ---------------------------------------------------------------------

MICRO = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("year", "tz", "first", "last", "length"),
    [
        # Leap year in a DST zone: both ends are on EST, and the year is 366 days long.
        (2024, NEW_YORK, utc(2024, 1, 1, 5), utc(2025, 1, 1, 5) - MICRO, timedelta(days=366)),
        (2023, LONDON, utc(2023, 1, 1), utc(2024, 1, 1) - MICRO, timedelta(days=365)),
        (2024, KIRITIMATI, utc(2023, 12, 31, 10), utc(2024, 12, 31, 10) - MICRO, None),
        (2024, CASABLANCA, utc(2023, 12, 31, 23), utc(2024, 12, 31, 23) - MICRO, None),
        # Samoa skipped 30 December 2011 moving across the date line: a 364-day year.
        (2011, APIA, utc(2011, 1, 1, 10), utc(2011, 12, 31, 10) - MICRO, timedelta(days=364)),
    ],
)
def test_year_bounds(
    year: int, tz: ZoneInfo, first: datetime, last: datetime, length: timedelta | None
) -> None:
    start, end = year_bounds(year, tz)
    assert (start, end) == (first, last)
    assert start.utcoffset() == end.utcoffset() == timedelta(0)
    if length is not None:
        assert end - start == length - MICRO


@pytest.mark.parametrize("tz", [NEW_YORK, CASABLANCA, KIRITIMATI, APIA])
def test_year_bounds_are_contiguous(tz: ZoneInfo) -> None:
    for year in range(2009, 2027):
        assert year_bounds(year, tz)[1] + MICRO == year_bounds(year + 1, tz)[0]
        assert year_bounds(year, tz)[0] == period_target("ytd", year_bounds(year, tz)[1], tz)


# --- report_line / pick_report_points ----------------------------------------------

Y_START, Y_END = year_bounds(2024, NEW_YORK)


def test_report_line_seed_figures() -> None:
    start = pt(Y_START - HOUR, 191_903, posts=10_000)
    end = pt(Y_END - HOUR, 282_638, posts=11_061)
    assert report_line(start, end) == ReportLine(start, end, 90_735, 47.28, 1061)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (None, pt(Y_END, 10, posts=5)),
        (pt(Y_START, 10, posts=5), None),
        (None, None),
    ],
)
def test_report_line_missing_point(start: Point | None, end: Point | None) -> None:
    assert report_line(start, end) == ReportLine(start, end, None, None, None)


def test_report_line_missing_counters() -> None:
    line = report_line(pt(Y_START, None, posts=10), pt(Y_END, 50, posts=None))
    assert line.followers_change is None
    assert line.followers_growth_pct is None
    assert line.posts_in_period is None


def test_report_line_youtube_rounding() -> None:
    start = Point(at=Y_START, followers=123_000, posts=7, precision=1000)
    end = Point(at=Y_END, followers=123_000, posts=9, precision=1000)
    line = report_line(start, end)
    assert (line.followers_change, line.followers_growth_pct, line.posts_in_period) == (0, 0.0, 2)


def test_report_line_posts_can_drop() -> None:
    line = report_line(pt(Y_START, posts=50), pt(Y_END, posts=45))
    assert line.posts_in_period == -5


SERIES = [
    pt(utc(2023, 12, 30), 1),
    pt(Y_START, 2),  # exactly at the first instant of the year
    pt(utc(2024, 6, 1), 3),
    pt(Y_END, 4),  # exactly at the last instant
    pt(utc(2025, 1, 1, 6), 5),
]


@pytest.mark.parametrize(
    ("points", "first", "last", "expected"),
    [
        (SERIES, Y_START, Y_END, (SERIES[1], SERIES[3])),
        (SERIES, Y_START - MICRO, Y_END - MICRO, (SERIES[0], SERIES[2])),
        (SERIES[2:], Y_START, Y_END, (None, SERIES[3])),
        (SERIES[4:], Y_START, Y_END, (None, None)),
        ([], Y_START, Y_END, (None, None)),
        (SERIES, utc(2030, 1, 1), utc(2031, 1, 1), (SERIES[4], SERIES[4])),
        (SERIES, Y_START, Y_START, (SERIES[1], SERIES[1])),
    ],
)
def test_pick_report_points(
    points: list[Point],
    first: datetime,
    last: datetime,
    expected: tuple[Point | None, Point | None],
) -> None:
    picked = pick_report_points(points, first, last)
    assert picked[0] is expected[0]
    assert picked[1] is expected[1]


def test_pick_report_points_rejects_reversed_range() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        pick_report_points(SERIES, Y_END, Y_START)


@given(
    minutes=st.lists(st.integers(0, 1000), max_size=20),
    a=st.integers(-10, 1010),
    b=st.integers(-10, 1010),
)
def test_pick_report_points_matches_linear_scan(minutes: list[int], a: int, b: int) -> None:
    points = [pt(T0 + timedelta(minutes=m), i) for i, m in enumerate(sorted(minutes))]
    first, last = (T0 + timedelta(minutes=m) for m in sorted((a, b)))

    def scan(when: datetime) -> Point | None:
        return next((p for p in reversed(points) if p.at <= when), None)

    picked = pick_report_points(points, first, last)
    assert picked[0] is scan(first)
    assert picked[1] is scan(last)


def test_pick_then_report_end_to_end() -> None:
    line = report_line(*pick_report_points(SERIES, Y_START, Y_END))
    assert line.start is SERIES[1]
    assert line.followers_change == 2
    assert line.followers_growth_pct == 100.0


# --- issue 15: the baseline is never the current figure -------------------------------------


def test_growth_skips_the_current_figure_for_an_older_one_in_tolerance() -> None:
    # t - 1d is nearest the current snapshot (1 h after it), but an older one lies 2 h before it.
    target = T0 - timedelta(days=1)
    current = pt(target + HOUR, 500)
    older = pt(target - 2 * HOUR, 450)
    result = growth(current, older, current, target=target, tol=tolerance("1d"))
    assert (result.previous, result.change, result.from_at) == (450, 50, older.at)
