"""Pure growth maths: baselines, percentages and report figures (no I/O, no clock reads)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import day_start

YTD = "ytd"

PERIODS: dict[str, timedelta] = {
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "365d": timedelta(days=365),
}
PERIOD_NAMES: tuple[str, ...] = (*PERIODS, YTD)

_MIN_TOLERANCE = timedelta(hours=1)
_MAX_TOLERANCE = timedelta(days=7)
# The start of the year is a fixed instant, so a baseline far from it would mislabel the figure.
_YTD_TOLERANCE = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Point:
    """One stored snapshot as growth sees it."""

    at: datetime  # aware; compared as instants, so any zone works
    followers: int | None  # None = not reported (never treat as 0)
    following: int | None = None
    posts: int | None = None
    # 1 = exact; else the platform's rounding step for the follower count (YouTube: 1000 for
    # 123,000). Post counts are exact on every platform, so it does not apply to them.
    precision: int = 1

    def __post_init__(self) -> None:
        _require_aware(self.at)
        if self.precision < 1:
            raise ValueError(f"precision must be >= 1, got {self.precision}")


@dataclass(frozen=True, slots=True)
class Growth:
    """Growth of one account over one period; every number None when history is too short."""

    followers: int | None  # now
    previous: int | None  # at the baseline
    change: int | None
    growth_pct: float | None
    posts_change: int | None
    from_at: datetime | None  # the baseline snapshot's time
    to_at: datetime | None  # the current snapshot's time
    enough_history: bool


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One account's annual (or any range) report figures."""

    start: Point | None
    end: Point | None
    followers_change: int | None
    followers_growth_pct: float | None
    posts_in_period: int | None  # end.posts - start.posts (a lower bound: deletions)


def _require_aware(when: datetime) -> None:
    # A naive time would silently be read as local time by astimezone().
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {when.isoformat()}")


def parse_period(text: str) -> str:
    """Return the canonical period name for user text such as ' 7D '."""
    name = text.strip().lower()
    if name not in PERIOD_NAMES:
        expected = ", ".join(PERIOD_NAMES)
        raise ValueError(f"unknown period {text!r}: expected one of {expected}")
    return name


def period_target(period: str, at: datetime, tz: ZoneInfo) -> datetime:
    """Return the UTC instant to compare ``at`` with for ``period``."""
    name = parse_period(period)
    _require_aware(at)
    if name == YTD:
        return _year_start(at.astimezone(tz).year, tz)
    return (at - PERIODS[name]).astimezone(UTC)


def tolerance(period: str, at: datetime | None = None, tz: ZoneInfo | None = None) -> timedelta:
    """Return how far a baseline snapshot may sit from the period's target instant."""
    # at/tz are accepted so callers can pass the same arguments for every period; ytd's
    # tolerance is fixed, so they do not change the result.
    name = parse_period(period)
    if name == YTD:
        return _YTD_TOLERANCE
    return min(max(PERIODS[name] / 8, _MIN_TOLERANCE), _MAX_TOLERANCE)


def nearest(
    target: datetime, before: Point | None, after: Point | None, tol: timedelta
) -> Point | None:
    """Return the candidate nearest to ``target`` within ``tol`` (ties go to ``before``)."""
    best, best_gap = None, tol
    for point in (before, after):
        if point is not None:
            gap = abs(point.at - target)
            # Strictly nearer replaces: ``before`` comes first, so ties go to the older one.
            if gap <= best_gap and (best is None or gap < best_gap):
                best, best_gap = point, gap
    return best


def _round_half_away(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` (denominator > 0) rounded half away from zero, exactly."""
    # Integers, not floats: 47.275 must not become 47.27499999... and round wrongly. (Whole
    # integers rather than Fraction: the same result without a gcd per account.)
    whole, rest = divmod(abs(numerator), denominator)
    if 2 * rest >= denominator:
        whole += 1
    return -whole if numerator < 0 else whole


def growth_pct(previous: int | None, current: int | None) -> float | None:
    """Return the change from ``previous`` to ``current`` in percent, rounded to 2 decimals."""
    # A percentage of a zero (or invalid negative) base has no meaning.
    if previous is None or current is None or previous <= 0:
        return None
    hundredths = _round_half_away((current - previous) * 100 * 100, previous)
    # int / int is correctly rounded, so 4728 / 100 is exactly the float 47.28.
    return hundredths / 100


def counter_change(previous: int | None, current: int | None, *, step: int = 1) -> int | None:
    """Return ``current - previous``, treating changes smaller than the rounding ``step`` as 0."""
    if step < 1:
        raise ValueError(f"step must be >= 1, got {step}")
    if previous is None or current is None:
        return None
    change = current - previous
    # A rounded count never moves by less than its step, so a smaller change is rounding noise.
    return 0 if abs(change) < step else change


def _followers_figures(start: Point, end: Point) -> tuple[int | None, float | None]:
    # Percent is taken from the rounded change so "+0 (+0.4%)" can never be reported.
    step = max(start.precision, end.precision)
    change = counter_change(start.followers, end.followers, step=step)
    if change is None or start.followers is None:
        return None, None
    return change, growth_pct(start.followers, start.followers + change)


def growth(
    current: Point | None,
    before: Point | None,
    after: Point | None,
    *,
    target: datetime,
    tol: timedelta,
) -> Growth:
    """Return the growth from the baseline nearest ``target`` to ``current``.

    The baseline is the good snapshot nearest ``target`` (t - P) within ``tol``, other than the
    current figure: a candidate at or after ``current`` measures nothing, so the other one is taken.
    """
    if current is None:
        return _short_history(current)
    earlier = [p if p is not None and p.at < current.at else None for p in (before, after)]
    baseline = nearest(target, earlier[0], earlier[1], tol)
    if baseline is None:
        return _short_history(current)
    change, pct = _followers_figures(baseline, current)
    return Growth(
        followers=current.followers,
        previous=baseline.followers,
        change=change,
        growth_pct=pct,
        posts_change=counter_change(baseline.posts, current.posts),
        from_at=baseline.at,
        to_at=current.at,
        enough_history=True,
    )


def _short_history(current: Point | None) -> Growth:
    return Growth(
        followers=None if current is None else current.followers,
        previous=None,
        change=None,
        growth_pct=None,
        posts_change=None,
        from_at=None,
        to_at=None if current is None else current.at,
        enough_history=False,
    )


def _year_start(year: int, tz: ZoneInfo) -> datetime:
    return day_start(date(year, 1, 1), tz)


def year_bounds(year: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Return the first and last instant (microsecond) of ``year`` in ``tz``, in UTC."""
    return _year_start(year, tz), _year_start(year + 1, tz) - timedelta(microseconds=1)


def report_line(start: Point | None, end: Point | None) -> ReportLine:
    """Return the report figures between two snapshots found by the caller."""
    if start is None or end is None:
        return ReportLine(start, end, None, None, None)
    change, pct = _followers_figures(start, end)
    posts = counter_change(start.posts, end.posts)
    return ReportLine(start, end, change, pct, posts)
