"""What the quality gate reads and writes: an account's judging window, hand marks, events.

The window of an account at instant ``t`` starts at the newest good snapshot with a count
before ``t`` (its spike check needs the new neighbour) and runs to the end of its history; the
good count before that is the window's reference. Everything in it is judged again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, func, insert, literal, select, update

from bot.kinds import CorrectionAction, Quality
from bot.quality import Judged, judge
from bot.store.tables import ACCOUNT, CORRECTION, PLATFORM_EVENT, SNAPSHOT, chunks

_MARKS = (CorrectionAction.MARK_OK, CorrectionAction.MARK_SUSPECT)


@dataclass(frozen=True)
class Window:
    """An account's snapshots to judge again, and the good count before them."""

    reference: int | None
    points: list[Judged]


@dataclass(frozen=True)
class Event:
    """A platform event as ``bot status`` and the digest show it."""

    platform: str
    started_at: datetime
    ended_at: datetime | None
    suspect: int
    polled: int


def window(connection: Connection, account_id: int, since: datetime) -> Window:
    """The snapshots to judge again when an observation lands at ``since`` (see the module)."""
    good = [
        SNAPSHOT.c.account_id == account_id,
        SNAPSHOT.c.quality != Quality.SUSPECT,
        SNAPSHOT.c.followers.is_not(None),
    ]
    anchors = connection.execute(
        select(SNAPSHOT.c.captured_at, SNAPSHOT.c.followers)
        .where(*good, SNAPSHOT.c.captured_at < since)
        .order_by(SNAPSHOT.c.captured_at.desc())
        .limit(2)
    ).all()
    statement = (
        select(SNAPSHOT.c.captured_at, SNAPSHOT.c.followers, SNAPSHOT.c.quality)
        .where(SNAPSHOT.c.account_id == account_id)
        .order_by(SNAPSHOT.c.captured_at)
    )
    reference: int | None = None
    if anchors:
        statement = statement.where(SNAPSHOT.c.captured_at >= anchors[0].captured_at)
        reference = anchors[1].followers if len(anchors) > 1 else None
    rows = connection.execute(statement).all()
    pinned = _pinned(connection, account_id, rows[0].captured_at if rows else since)
    points = [
        Judged(row.captured_at, row.followers, Quality(row.quality), row.captured_at in pinned)
        for row in rows
    ]
    return Window(reference, points)


def _pinned(connection: Connection, account_id: int, since: datetime) -> set[datetime]:
    """The instants from ``since`` whose quality was last set by hand (a mark still in force)."""
    latest = (
        select(CORRECTION.c.captured_at, func.max(CORRECTION.c.id).label("last"))
        .where(
            CORRECTION.c.account_id == account_id,
            CORRECTION.c.captured_at >= since,
            CORRECTION.c.undone_at.is_(None),
        )
        .group_by(CORRECTION.c.captured_at)
        .subquery()
    )
    rows = connection.execute(
        select(CORRECTION.c.captured_at)
        .join(
            latest,
            and_(CORRECTION.c.id == latest.c.last),
        )
        .where(CORRECTION.c.action.in_(_MARKS))
    )
    return {row.captured_at for row in rows}


def set_qualities(
    connection: Connection, account_id: int, changes: Mapping[datetime, Quality]
) -> None:
    """Store the gate's new verdicts on existing snapshots."""
    if not changes:
        return
    connection.execute(
        update(SNAPSHOT)
        .where(SNAPSHOT.c.account_id == account_id, SNAPSHOT.c.captured_at == bindparam("b_at"))
        .values(quality=bindparam("b_quality")),
        [{"b_at": at, "b_quality": str(quality)} for at, quality in changes.items()],
    )


def changed(points: Sequence[Judged], verdicts: Iterable[Quality]) -> dict[datetime, Quality]:
    """The verdicts that differ from the stored qualities."""
    return {p.at: v for p, v in zip(points, verdicts, strict=True) if v != p.quality}


def open_events(connection: Connection) -> dict[str, Event]:
    """The platform events still lasting, by platform."""
    rows = connection.execute(
        select(PLATFORM_EVENT).where(PLATFORM_EVENT.c.ended_at.is_(None))
    ).all()
    return {row.platform: _event(row) for row in rows}


def start_event(
    connection: Connection, platform: str, at: datetime, *, suspect: int, polled: int
) -> None:
    """Record the start of a platform event."""
    connection.execute(
        insert(PLATFORM_EVENT).values(
            platform=platform, started_at=at, ended_at=None, suspect=suspect, polled=polled
        )
    )


def end_event(connection: Connection, platform: str, at: datetime) -> None:
    """The platform's lasting event is over at ``at``."""
    connection.execute(
        update(PLATFORM_EVENT)
        .where(PLATFORM_EVENT.c.platform == platform, PLATFORM_EVENT.c.ended_at.is_(None))
        .values(ended_at=at)
    )


def events_between(connection: Connection, first: datetime, last: datetime) -> list[Event]:
    """Platform events that started in [first, last] or were lasting then, oldest first."""
    rows = connection.execute(
        select(PLATFORM_EVENT)
        .where(
            PLATFORM_EVENT.c.started_at <= last,
            (PLATFORM_EVENT.c.ended_at.is_(None)) | (PLATFORM_EVENT.c.ended_at >= first),
        )
        .order_by(PLATFORM_EVENT.c.started_at, PLATFORM_EVENT.c.platform)
    ).all()
    return [_event(row) for row in rows]


def _event(row: Any) -> Event:
    """A platform_event row -> Event."""
    return Event(row.platform, row.started_at, row.ended_at, row.suspect, row.polled)


def rejudge(
    connection: Connection,
    account_id: int,
    since: datetime,
    *,
    confirm_after: timedelta,
    hold: bool = False,
) -> dict[datetime, Quality]:
    """Judge the account's window at ``since`` again and store what changed."""
    found = window(connection, account_id, since)
    verdicts = judge(
        found.points, confirm_after=confirm_after, hold=hold, reference=found.reference
    )
    changes = changed(found.points, verdicts)
    set_qualities(connection, account_id, changes)
    return changes


def rejudge_many(
    connection: Connection, since: Mapping[int, datetime], *, confirm_after: timedelta
) -> dict[int, dict[datetime, Quality]]:
    """``rejudge`` for many accounts (account -> ``since``), windows read a chunk at a time."""
    changes: dict[int, dict[datetime, Quality]] = {}
    # Each account of a chunk costs three bound parameters: 200 stay under SQLite's old 999.
    for chunk in chunks(sorted(since), 200):
        found = windows(connection, {account_id: since[account_id] for account_id in chunk})
        for account_id, found_window in found.items():
            verdicts = judge(
                found_window.points, confirm_after=confirm_after, reference=found_window.reference
            )
            changes[account_id] = changed(found_window.points, verdicts)
            set_qualities(connection, account_id, changes[account_id])
    return changes


def windows(connection: Connection, since: Mapping[int, datetime]) -> dict[int, Window]:
    """The ``window`` of each account at its instant, in four statements for them all."""
    anchors = _newest_good(connection, since)
    references = _newest_good(connection, anchors)
    # From the good count before the anchor (it is the reference), else everything.
    starts = {a: references.get(a, anchors.get(a, _DAWN)) for a in since}
    rows: dict[int, list[Any]] = {account_id: [] for account_id in since}
    for row in connection.execute(
        select(
            SNAPSHOT.c.account_id, SNAPSHOT.c.captured_at, SNAPSHOT.c.followers, SNAPSHOT.c.quality
        )
        .where(
            SNAPSHOT.c.account_id.in_(list(since)),
            SNAPSHOT.c.captured_at >= _per_account(starts, SNAPSHOT.c.account_id),
        )
        .order_by(SNAPSHOT.c.account_id, SNAPSHOT.c.captured_at)
    ):
        rows[row.account_id].append(row)
    marks = _marks(connection, list(since))
    found: dict[int, Window] = {}
    for account_id, own in rows.items():
        reference: int | None = None
        anchor = anchors.get(account_id)
        if anchor is not None:
            before = [r.followers for r in own if r.captured_at == references.get(account_id)]
            reference = before[0] if before else None
            own = [r for r in own if r.captured_at >= anchor]
        start = own[0].captured_at if own else since[account_id]
        pinned = {at for at in marks.get(account_id, ()) if at >= start}
        points = [
            Judged(r.captured_at, r.followers, Quality(r.quality), r.captured_at in pinned)
            for r in own
        ]
        found[account_id] = Window(reference, points)
    return found


_DAWN = datetime(1, 1, 1, tzinfo=UTC)


def _per_account(values: Mapping[int, datetime], account: Any) -> Any:
    """An instant that depends on the row's account, for one statement over many accounts."""
    return case(
        {a: literal(at, SNAPSHOT.c.captured_at.type) for a, at in values.items()},
        value=account,
        else_=literal(_DAWN, SNAPSHOT.c.captured_at.type),
    )


def _newest_good(connection: Connection, before: Mapping[int, datetime]) -> dict[int, datetime]:
    """Each account's newest good snapshot with a count before its instant (an index seek each)."""
    if not before:
        return {}
    newest = (
        select(SNAPSHOT.c.captured_at)
        .where(
            SNAPSHOT.c.account_id == ACCOUNT.c.id,
            SNAPSHOT.c.quality != Quality.SUSPECT,
            SNAPSHOT.c.followers.is_not(None),
            SNAPSHOT.c.captured_at < _per_account(before, ACCOUNT.c.id),
        )
        .order_by(SNAPSHOT.c.captured_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = connection.execute(
        select(ACCOUNT.c.id, newest.label("at")).where(ACCOUNT.c.id.in_(list(before)))
    )
    return {row.id: row.at for row in rows if row.at is not None}


def _marks(connection: Connection, account_ids: Sequence[int]) -> dict[int, set[datetime]]:
    """The instants whose quality was last set by hand (a mark in force), by account."""
    latest = (
        select(CORRECTION.c.account_id, func.max(CORRECTION.c.id).label("last"))
        .where(CORRECTION.c.account_id.in_(account_ids), CORRECTION.c.undone_at.is_(None))
        .group_by(CORRECTION.c.account_id, CORRECTION.c.captured_at)
        .subquery()
    )
    rows = connection.execute(
        select(CORRECTION.c.account_id, CORRECTION.c.captured_at)
        .join(latest, CORRECTION.c.id == latest.c.last)
        .where(CORRECTION.c.action.in_(_MARKS))
    )
    marks: dict[int, set[datetime]] = {}
    for row in rows:
        if row.captured_at is not None:
            marks.setdefault(row.account_id, set()).add(row.captured_at)
    return marks
