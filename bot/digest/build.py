"""Build the Digest of one local day from the store and the growth maths.

A digest for day D describes the state at the end of D in ``settings.timezone`` (or at ``now``
when D is today and not over yet). Which accounts: the configured ones, or every stored account
when the settings configure none (a database filled by ``bot import`` alone). Status of an account:
its latest poll attempt at or before that instant decides (``not_found``, ``suspended``,
``auth_error``, or ``failing`` for any other failed outcome); without a failure it is ``stale``
by the rule of bot/staleness.py (older than two of its intervals, and at least a day), else
``active``.

A weekly or monthly digest (``period``) is the digest of the period's last day, with its
milestones and anomalies gathered over the whole period (a platform event is still several
accounts dropping on one day, dated); its figures are the same windows as a daily one's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine

from bot import growth
from bot.clock import day_bounds, day_start
from bot.config import Settings
from bot.digest import events, periods
from bot.digest.model import (
    CHARTS,
    SERIES_DAYS,
    WINDOWS,
    AccountLine,
    Anomaly,
    Digest,
    Failure,
    GroupSummary,
    Milestone,
    Mover,
    Projection,
)
from bot.kinds import AccountStatus, PollOutcome, Quality
from bot.output.text import CLI
from bot.staleness import interval_of, is_stale
from bot.store import history, judging
from bot.store.attempts import Attempt, last_attempts
from bot.store.days import daily_counts, daily_points
from bot.store.history import snapshots_between
from bot.store.listing import AccountRow, listed_accounts

# A digest is a daily document: a gap shorter than a day is not news, whatever the interval.
MIN_STALE = timedelta(days=1)
_GONE = (AccountStatus.NOT_FOUND, AccountStatus.SUSPENDED, AccountStatus.AUTH_ERROR)
_FINE = (PollOutcome.OK, PollOutcome.SUSPECT)
_FLAGGED = (Quality.SUSPECT, Quality.CONFIRMED_DROP)


@dataclass
class _Facts:
    """What the store says about one account, gathered by a few bulk queries."""

    account: AccountRow
    windows: dict[str, growth.Growth]
    current: history.SnapshotRow | None  # the newest good snapshot at the digest's instant
    before_day: history.SnapshotRow | None  # the newest good one before the period began
    newest_at: datetime | None  # the newest snapshot of any quality since the charts' first day
    series: list[history.SnapshotRow]  # the period's snapshots, any quality
    daily: tuple[int | None, ...]  # the last good count of each charted day
    attempt: Attempt | None
    # The good points of ``series``, made once.
    good: list[growth.Point] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.good = _good(self.series)


def build_digest(
    engine: Engine,
    settings: Settings,
    day: date,
    *,
    now: datetime | None = None,
    period: str = "day",
) -> Digest:
    """The digest of ``day`` (or of the week or month containing it, at its last day)."""
    tz = settings.timezone
    # The faces check their words first (bot/query/words.py); this guards other callers.
    period_first, day = periods.span(CLI.choice("period", period, periods.PERIODS), day)
    first, last = day_bounds(day, tz)
    at = last if now is None or now >= last else now.astimezone(UTC)
    if at < first:
        raise CLI.error("date", periods.not_started(day, tz))
    # Milestones and anomalies are those of the whole period (the day itself for a daily one).
    since = day_start(period_first, tz)
    # The series covers SERIES_DAYS whole local days ending on ``day`` (23- and 25-hour ones too).
    charted = [day_start(day - timedelta(days=i), tz) for i in reversed(range(SERIES_DAYS))]
    with engine.connect() as connection:
        accounts = _chosen(connection, settings)
        facts = _gather(connection, accounts, at=at, first=since, charted=charted)
        recorded = judging.events_between(connection, since, at)
        # An account added after the instant described, with no older history, did not exist.
        facts = [f for f in facts if f.current is not None or f.account.created_at <= at]
        lines = [_line(f, settings, at) for f in facts]
        groups = _groups(lines)
        order = {key: i for i, key in enumerate(k for g in groups for k in g.accounts)}
        lines.sort(key=lambda line: order[line.key])
        lines = _with_points(connection, lines, facts, charted, at)
    milestones_list = settings.milestones or events.DEFAULT_MILESTONES
    return Digest(
        day=day,
        timezone=tz,
        at=at,
        complete=at == last,
        accounts=tuple(lines),
        groups=tuple(groups),
        movers=tuple(_movers(lines)),
        milestones=tuple(_milestones(facts, milestones_list, since)),
        projections=tuple(_projections(facts, milestones_list, day, tz)),
        anomalies=(
            *_anomalies(facts, since, day, tz, dated=period != "day"),
            *_recorded(recorded, {a.platform for a in accounts}),
        ),
        failures=tuple(_failures(facts, lines)),
        period=period,
    )


def _chosen(connection: Connection, settings: Settings) -> list[AccountRow]:
    """The accounts declared (config, added, imported), or every stored one if none is."""
    stored = listed_accounts(connection)
    declared = [a for a in stored if a.origin is not None]
    return declared or stored


def _gather(
    connection: Connection,
    accounts: Sequence[AccountRow],
    *,
    at: datetime,
    first: datetime,
    charted: Sequence[datetime],
) -> list[_Facts]:
    """A few bulk queries; only the period's own snapshots grow with how often accounts poll.

    One statement seeks every window's figures and the period's ends, one reads the period's
    snapshots, one the last count of each of the ``charted`` days (their first instants), one
    the last attempts.
    """
    ids = [a.id for a in accounts]
    # The current figure once, then each window's two candidates around its target (they
    # compare with that first seek), then the newest good snapshot before the period and the
    # newest of any quality since the charts' first day (or the period's, when longer: a
    # 31-day month), for the last data.
    targets = {p: (at - growth.PERIODS[p], growth.tolerance(p)) for p in WINDOWS}
    seeks = [history.Seek(until=at)]
    for target, tol in targets.values():
        seeks += history.growth_seeks(at, target, tol)[1:]
    seeks += [
        history.Seek(until=first - timedelta(microseconds=1)),
        history.Seek(since=min(charted[0], first), until=at, good_only=False),
    ]
    found = history.seek_many(connection, ids, seeks)
    windows: dict[str, dict[int, growth.Growth]] = {period: {} for period in targets}
    for account_id, rows in found.items():
        current, *around = (row.point() if row else None for row in rows[: 1 + 2 * len(targets)])
        for i, (period, (target, tol)) in enumerate(targets.items()):
            before, after = around[2 * i : 2 * i + 2]
            figures = growth.growth(current, before, after, target=target, tol=tol)
            windows[period][account_id] = figures
    series = snapshots_between(connection, ids, since=first, until=at)
    days = daily_counts(connection, ids, charted, until=at)
    attempts = last_attempts(connection, ids, at=at)
    empty = growth.growth(None, None, None, target=at, tol=timedelta(0))
    return [
        _Facts(
            account=a,
            windows={p: windows[p].get(a.id, empty) for p in WINDOWS},
            current=found[a.id][0],
            before_day=found[a.id][-2],
            newest_at=_captured(found[a.id][-1]),
            series=series.get(a.id, []),
            daily=days.get(a.id, ()),
            attempt=attempts.get(a.id),
        )
        for a in accounts
    ]


def _captured(row: history.SnapshotRow | None) -> datetime | None:
    """When ``row`` was taken (None: no row)."""
    return None if row is None else row.captured_at


def _good(rows: Sequence[history.SnapshotRow]) -> list[growth.Point]:
    """The points growth may use: suspect ones are left out."""
    return [row.point() for row in rows if row.quality != Quality.SUSPECT]


def _line(facts: _Facts, settings: Settings, at: datetime) -> AccountLine:
    """One account's figures."""
    now = facts.windows["1d"]
    last_data = max((t for t in (now.to_at, facts.newest_at) if t), default=None)
    return AccountLine(
        platform=facts.account.platform,
        handle=facts.account.handle,
        label=facts.account.label,
        groups=tuple(facts.account.groups or ()),
        followers=now.followers,
        posts=facts.current.posts if facts.current else None,
        change={p: facts.windows[p].change for p in WINDOWS},
        growth_pct={p: facts.windows[p].growth_pct for p in WINDOWS},
        posts_change={p: facts.windows[p].posts_change for p in WINDOWS},
        status=_status(facts, settings, last_data, at),
        last_data_at=last_data,
        daily=facts.daily,
    )


def _status(facts: _Facts, settings: Settings, last_data: datetime | None, at: datetime) -> str:
    """active, stale, failing, or the status the latest attempt by ``at`` revealed.

    Only what was known at ``at`` counts (the attempts and snapshots up to then), never the
    account's status today: a past day's digest renders the same after later polls.
    """
    attempt = facts.attempt
    if attempt is not None and attempt.outcome not in _FINE:
        return attempt.outcome if attempt.outcome in _GONE else "failing"
    account = facts.account
    interval = interval_of(settings, account)
    stale = is_stale(last_data, account.created_at, interval, at, at_least=MIN_STALE)
    return "stale" if stale else "active"


def _with_points(
    connection: Connection,
    lines: list[AccountLine],
    facts: Sequence[_Facts],
    charted: Sequence[datetime],
    at: datetime,
) -> list[AccountLine]:
    """``lines`` with the points of the CHARTS first ones counted on two days or more."""
    ids = {f"{f.account.platform}:{f.account.handle}": f.account.id for f in facts}
    charts = [line.key for line in lines if sum(c is not None for c in line.daily) >= 2][:CHARTS]
    found = daily_points(connection, [ids[key] for key in charts], charted, until=at)
    keys = set(charts)
    return [
        replace(line, points=tuple(found[ids[line.key]])) if line.key in keys else line
        for line in lines
    ]


def _groups(lines: Sequence[AccountLine]) -> list[GroupSummary]:
    """Named groups in alphabetical order, then the accounts in none; biggest accounts first."""
    members: dict[str | None, list[AccountLine]] = defaultdict(list)
    for line in lines:
        for name in line.groups or (None,):
            members[name].append(line)
    names = sorted(n for n in members if n is not None) + ([None] if None in members else [])
    return [_summary(name, members[name]) for name in names]


def _summary(name: str | None, lines: list[AccountLine]) -> GroupSummary:
    """Totals of a group; a window's total is None unless every counted account has it."""
    lines = sorted(lines, key=lambda x: (-(x.followers or -1), x.platform, x.handle))
    counted = [line for line in lines if line.followers is not None]
    change: dict[str, int | None] = {}
    pct: dict[str, float | None] = {}
    posts: dict[str, int | None] = {}
    now = sum(line.followers or 0 for line in counted)
    for period in WINDOWS:
        changes = [line.change[period] for line in counted]
        known = [c for c in changes if c is not None]
        total = sum(known) if counted and len(known) == len(changes) else None
        change[period] = total
        pct[period] = growth.growth_pct(now - total, now) if total is not None else None
        # Accounts without a post counter do not block the total; one with it but too short
        # a history does.
        post_changes = [line.posts_change[period] for line in lines if line.posts is not None]
        known = [p for p in post_changes if p is not None]
        posts[period] = sum(known) if known and len(known) == len(post_changes) else None
    return GroupSummary(
        name=name,
        accounts=tuple(line.key for line in lines),
        followers=now if counted else None,
        change=change,
        growth_pct=pct,
        posts_change=posts,
    )


def _movers(lines: Sequence[AccountLine]) -> list[Mover]:
    """Biggest gains and losses by growth % over 7 and 30 days."""
    by_key = {line.key: line for line in lines}
    found: list[Mover] = []
    for period in ("7d", "30d"):
        moves = [
            events.Move(line.key, line.change[period], line.growth_pct[period]) for line in lines
        ]
        ups, downs = events.movers(moves)
        for direction, chosen in (("up", ups), ("down", downs)):
            for move in chosen:
                line = by_key[move.key]
                found.append(
                    Mover(
                        period,
                        direction,
                        line.platform,
                        line.handle,
                        line.label,
                        move.change or 0,
                        move.growth_pct or 0.0,
                    )
                )
    return found


def _milestones(
    facts: Sequence[_Facts], milestones: Sequence[int], first: datetime
) -> list[Milestone]:
    """Milestones crossed during the period, in the order they were crossed."""
    found = []
    for f in facts:
        start = f.before_day.followers if f.before_day else None
        today = [p for p in f.good if p.at >= first]
        for value, when in events.crossed(milestones, start, today):
            found.append(
                Milestone(f.account.platform, f.account.handle, f.account.label, value, when)
            )
    return sorted(found, key=lambda m: (m.crossed_at, m.platform, m.handle, m.milestone))


def _projections(
    facts: Sequence[_Facts], milestones: Sequence[int], day: date, tz: ZoneInfo
) -> list[Projection]:
    """The next milestone of every growing account, soonest first."""
    found = []
    for f in facts:
        month, week = f.windows["30d"], f.windows["7d"]
        target = events.next_milestone(milestones, month.followers)
        if target is None or month.followers is None:
            continue
        pace30 = events.pace(month.change, month.from_at, month.to_at)
        pace7 = events.pace(week.change, week.from_at, week.to_at)
        # Counted from the newest snapshot's day: a stale account's count is older than today.
        since = month.to_at.astimezone(tz).date() if month.to_at else day
        when = events.project(month.followers, target, since, pace30, pace7)
        if when is None or pace30 is None:
            continue
        found.append(
            Projection(
                f.account.platform,
                f.account.handle,
                f.account.label,
                month.followers,
                target,
                round(pace30, 1),
                when.expected,
                when.earliest,
                when.latest,
            )
        )
    return sorted(found, key=lambda p: (p.expected, p.platform, p.handle))


def _anomalies(
    facts: Sequence[_Facts], first: datetime, day: date, tz: ZoneInfo, *, dated: bool
) -> list[Anomaly]:
    """Suspect points and confirmed drops since ``first``, then platform events, day by day.

    A platform event of a weekly or monthly digest (``dated``) carries the start of its day.
    """
    found: list[Anomaly] = []
    # Local day -> platform -> handles that dropped that day.
    dropped: dict[date, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    totals: dict[str, int] = defaultdict(int)
    for f in facts:
        account = f.account
        totals[account.platform] += 1
        previous = f.before_day.followers if f.before_day else None
        for row in (r for r in f.series if r.captured_at >= first):
            if row.quality in _FLAGGED:
                found.append(
                    Anomaly(
                        row.quality,
                        account.platform,
                        account.handle,
                        (account.handle,),
                        row.captured_at,
                        row.followers,
                        previous,
                    )
                )
                dropped[row.captured_at.astimezone(tz).date()][account.platform].add(account.handle)
            if row.quality != Quality.SUSPECT and row.followers is not None:
                previous = row.followers
        # The 1-day loss is known for the digest's last day only.
        last = f.windows["1d"]
        if events.is_day_drop(last.previous, last.growth_pct):
            dropped[day][account.platform].add(account.handle)
    for when in sorted(dropped):
        at = day_bounds(when, tz)[0] if dated else None
        for platform, handles in events.platform_events(dropped[when], totals):
            found.append(Anomaly("platform_event", platform, None, handles, at, None, None))
    return found


def _recorded(found: Sequence[judging.Event], platforms: set[str]) -> list[Anomaly]:
    """The poller's platform events: many accounts of a platform suspect in one cycle."""
    return [
        # ``followers``: the accounts that turned suspect; ``previous``: those polled.
        Anomaly("platform_glitch", e.platform, None, (), e.started_at, e.suspect, e.polled)
        for e in found
        if e.platform in platforms
    ]


def _failures(facts: Sequence[_Facts], lines: Sequence[AccountLine]) -> list[Failure]:
    """Failing and stale accounts, with their last data and last attempt, in digest order."""
    by_key = {f"{f.account.platform}:{f.account.handle}": f for f in facts}
    found = []
    for line in lines:
        if line.status == "active":
            continue
        attempt = by_key[line.key].attempt
        failed = attempt is not None and attempt.outcome not in _FINE
        found.append(
            Failure(
                platform=line.platform,
                handle=line.handle,
                label=line.label,
                status=line.status,
                last_data_at=line.last_data_at,
                last_attempt_at=attempt.started_at if attempt else None,
                message=attempt.message if failed and attempt else None,
            )
        )
    return found
