"""``bot compact`` never changes a figure: growth, reports, digests and daily history, both DBs.

A year and a half of irregular polling in Europe/Paris (three clock changes): several points a
day at random times, points a few minutes from midnight, imported day-end figures, a gap of
days, suspect points, a confirmed drop, counts not reported, a correction of an old snapshot.
Every figure is computed before and after a compaction that keeps 90 days raw, and compared.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlmodel import Session

from bot import growth, retention
from bot.clock import day_bounds
from bot.config import AccountSettings
from bot.digest import build_digest, periods
from bot.digest.render import render_digest
from bot.kinds import Quality
from bot.output.text import CLI
from bot.query import compact, words
from bot.query import rows as views
from bot.store import corrections
from bot.store.accounts import sync_accounts
from bot.store.tables import CORRECTION, SNAPSHOT
from bot.store.writes import insert_snapshots
from tests.helpers.settings import settings_for
from tests.helpers.store import snap

TZ = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 20, 15, 37, tzinfo=UTC)
FIRST_DAY = date(2025, 8, 1)
KEEP = timedelta(days=90)
HANDLES = ("a.bsky.social", "b.bsky.social", "c.bsky.social")
SETTINGS = settings_for(
    accounts=[
        AccountSettings("bluesky", "a.bsky.social", groups=("news",)),
        AccountSettings("bluesky", "b.bsky.social", groups=("news",)),
        AccountSettings("bluesky", "c.bsky.social"),
    ],
    timezone=TZ,
)
# Days around the clock changes in the history, where a day's end minus a period is not a
# day's end: every one of them is asked about.
CHANGES = (date(2025, 10, 26), date(2026, 3, 29), date(2026, 10, 25))
CORRECTED_AT = datetime(2025, 9, 3, 10, 15, 30, tzinfo=UTC)


def _day_points(rng: random.Random, day: date) -> Iterator[datetime]:
    """Polls of one local day at random instants, some right by its midnights."""
    first, last = day_bounds(day, TZ)
    length = int((last - first).total_seconds())
    for _ in range(rng.choice((0, 1, 2, 3, 4, 6, 8))):
        yield first + timedelta(seconds=rng.randrange(length), microseconds=rng.randrange(10**6))
    if rng.random() < 0.3:  # a few minutes from a midnight, on either side
        yield first + timedelta(seconds=rng.randrange(1, 5400))
        yield last - timedelta(seconds=rng.randrange(0, 5400))
    if rng.random() < 0.1:  # an imported figure: the day's last microsecond
        yield last
    if rng.random() < 0.05:
        yield first


def _history(engine: Engine) -> None:
    """Three accounts' irregular history up to NOW, and one correction of an old snapshot."""
    rng = random.Random(20261120)
    with Session(engine) as session:
        accounts = sync_accounts(session, SETTINGS, datetime(2025, 7, 1, tzinfo=UTC))
        rows = []
        for n, account in enumerate(accounts):
            followers, posts = 1000 * (n + 1), 50
            day = FIRST_DAY
            while day <= NOW.astimezone(TZ).date():
                silent = date(2025, 11, 3) <= day <= date(2025, 11, 9) and n == 0
                for at in sorted(set(_day_points(rng, day))) if not silent else ():
                    if at > NOW:
                        continue
                    followers += rng.randrange(-3, 40)
                    posts += rng.randrange(0, 3)
                    quality = Quality.SUSPECT if rng.random() < 0.03 else Quality.OK
                    shown = None if rng.random() < 0.03 else followers
                    value = shown // 3 if quality == Quality.SUSPECT and shown else shown
                    rows.append(snap(account.id or 0, at, value, posts, quality))
                day += timedelta(days=1)
            rows.append(snap(account.id or 0, CORRECTED_AT, followers // 2, posts))
            drop = CORRECTED_AT + timedelta(hours=1)
            rows.append(snap(account.id or 0, drop, 5, 1, Quality.CONFIRMED_DROP))
        connection = session.connection()
        insert_snapshots(connection, rows)
        target = corrections.stored_snapshots(
            connection, accounts[0].id or 0, first=CORRECTED_AT, last=CORRECTED_AT
        )[0]
        audit = corrections.Audit("bot correct", None, NOW)
        corrections.apply(connection, target, corrections.Change.set_count("posts", 7), audit)
        session.commit()


def _asked_days() -> list[date]:
    """Every tenth day of the history, and every day within six of a clock change."""
    days = {FIRST_DAY + timedelta(days=i) for i in range(0, 480, 10)}
    days |= {c + timedelta(days=i) for c in CHANGES for i in range(-6, 7)}
    today = NOW.astimezone(TZ).date()
    return sorted(d for d in days if FIRST_DAY < d < today)


def _growth(engine: Engine) -> dict[Any, Any]:
    """Every period at the end of every asked day, and at NOW (365d aside: see docs)."""
    found: dict[Any, Any] = {}
    for day in _asked_days():
        at = words.at(day.isoformat(), TZ, NOW, CLI)
        for period in growth.PERIOD_NAMES:
            found[(day, period)] = views.growth_rows(
                engine, SETTINGS, period=period, at=at, group=None
            )
    for period in ("1d", "7d", "30d", "90d", "ytd"):
        found[("now", period)] = views.growth_rows(
            engine, SETTINGS, period=period, at=NOW, group=None
        )
    return found


def _reports(engine: Engine) -> dict[Any, Any]:
    """The annual reports, and ranges that start or end on clock-change days."""
    found: dict[Any, Any] = {}
    for year in (2025, 2026):
        period = words.report_period(year, None, None, SETTINGS, CLI, now=NOW)
        found[year] = views.report(engine, SETTINGS, first=period.first, last=period.last)
    for start, end in (("2025-08-02", "2025-10-26"), ("2026-03-29", "2026-08-31")):
        period = words.report_period(None, start, end, SETTINGS, CLI, now=NOW)
        found[(start, end)] = views.report(engine, SETTINGS, first=period.first, last=period.last)
    return found


def _digests(engine: Engine) -> dict[Any, Any]:
    """The digests the daemon may still send, whole; the figures of older days' digests."""
    found: dict[Any, Any] = {}
    today = NOW.astimezone(TZ).date()
    for period in periods.PERIODS:
        day = words.digest_day(None, period, TZ, NOW, CLI) if period != "day" else today
        last = day - timedelta(days=1) if period == "day" else day
        built = build_digest(engine, SETTINGS, last, now=NOW, period=period)
        found[(period, last)] = json.loads(render_digest(built, "json"))
    for day in _asked_days()[::6]:
        built = build_digest(engine, SETTINGS, day, now=NOW)
        found[day] = (
            [(a.key, a.followers, a.change, a.growth_pct, a.posts_change) for a in built.accounts],
            built.groups,
        )
    return found


def _daily_history(engine: Engine) -> dict[str, Any]:
    """``bot snapshots --every day`` of each account."""
    return {
        handle: views.snapshot_rows(
            engine, SETTINGS, f"bluesky:{handle}", since=None, until=None, every="day"
        )
        for handle in HANDLES
    }


def _figures(engine: Engine) -> dict[str, Any]:
    return {
        "growth": _growth(engine),
        "reports": _reports(engine),
        "digests": _digests(engine),
        "daily": _daily_history(engine),
    }


def _stored(engine: Engine, *conditions: Any) -> int:
    with engine.connect() as connection:
        statement = select(func.count()).select_from(SNAPSHOT).where(*conditions)
        return int(connection.execute(statement).scalar_one())


@pytest.mark.slow
def test_compaction_changes_no_figure(engine: Engine) -> None:
    _history(engine)
    before = _figures(engine)
    flagged = _stored(engine, SNAPSHOT.c.quality != Quality.OK)
    old = _stored(engine, SNAPSHOT.c.captured_at < retention.cut(NOW, KEEP, TZ))
    recent = _stored(engine, SNAPSHOT.c.captured_at >= retention.cut(NOW, KEEP, TZ))
    assert flagged > 20 and old > 4000  # the history does hold what the test is about

    preview = compact.compact(engine, SETTINGS, keep=KEEP, now=NOW, dry_run=True)
    assert _stored(engine) == preview.snapshots  # a dry run changes nothing
    done = compact.compact(engine, SETTINGS, keep=KEEP, now=NOW)

    assert done.removed == preview.removed > old // 3
    assert _stored(engine) == done.snapshots - done.removed
    assert _stored(engine, SNAPSHOT.c.quality != Quality.OK) == flagged  # still flagged
    assert _stored(engine, SNAPSHOT.c.captured_at >= done.cutoff) == recent
    assert _stored(engine, SNAPSHOT.c.captured_at == CORRECTED_AT, SNAPSHOT.c.posts == 7) == 1
    after = _figures(engine)
    for kind in before:
        assert after[kind] == before[kind], kind
    again = compact.compact(engine, SETTINGS, keep=KEEP, now=NOW)
    assert again.removed == 0  # the rule is idempotent: a second run finishes an interrupted one

    # The test has teeth: keeping only each day's last good point does change figures.
    _keep_last_of_each_day(engine, done.cutoff)
    assert _growth(engine) != before["growth"]


def _keep_last_of_each_day(engine: Engine, cutoff: datetime) -> None:
    """The naive rule: before the cut, delete every good point but each day's last."""
    with engine.begin() as connection:
        rows = connection.execute(
            select(SNAPSHOT.c.id, SNAPSHOT.c.account_id, SNAPSHOT.c.captured_at).where(
                SNAPSHOT.c.captured_at < cutoff, SNAPSHOT.c.quality == Quality.OK
            )
        ).all()
        last: dict[tuple[int, date], tuple[datetime, int]] = {}
        for row in rows:
            key = (row.account_id, row.captured_at.astimezone(TZ).date())
            if key not in last or last[key][0] < row.captured_at:
                last[key] = (row.captured_at, row.id)
        kept = {snapshot_id for _, snapshot_id in last.values()}
        doomed = [row.id for row in rows if row.id not in kept and row.captured_at != CORRECTED_AT]
        for start in range(0, len(doomed), 500):
            chunk = doomed[start : start + 500]
            connection.execute(delete(SNAPSHOT).where(SNAPSHOT.c.id.in_(chunk)))


def test_a_snapshot_named_by_a_correction_is_never_removed(engine: Engine) -> None:
    settings = settings_for(["a.bsky.social"], timezone=UTC)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with Session(engine) as session:
        account = sync_accounts(session, settings, start)[0]
        rows = [snap(account.id or 0, start + timedelta(hours=h), h) for h in range(0, 72, 3)]
        connection = session.connection()
        insert_snapshots(connection, rows)
        corrected = start + timedelta(hours=30)  # mid-day: no figure reads it
        target = corrections.stored_snapshots(
            connection, account.id or 0, first=corrected, last=corrected
        )[0]
        audit = corrections.Audit("bot correct", None, start)
        corrections.apply(connection, target, corrections.Change.set_count("followers", 1), audit)
        session.commit()
    done = compact.compact(engine, settings, keep=KEEP, now=start + timedelta(days=200))
    assert done.removed > 0
    assert _stored(engine, SNAPSHOT.c.captured_at == corrected) == 1
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(CORRECTION)).scalar_one() == 1


def test_nothing_before_the_cut_removes_nothing(engine: Engine) -> None:
    settings = settings_for(["a.bsky.social"], timezone=UTC)
    with Session(engine) as session:
        account = sync_accounts(session, settings, NOW)[0]
        insert_snapshots(
            session.connection(),
            [snap(account.id or 0, NOW - timedelta(hours=h), h) for h in range(0, 48, 2)],
        )
        session.commit()
    done = compact.compact(engine, settings, keep=KEEP, now=NOW)
    assert (done.snapshots, done.removed, done.chunks) == (24, 0, 0)
    assert done.bytes_before > 0 and done.document()["bytes_per_snapshot_before"] > 0

