"""Corrections of the stored history, each written with its audit row in the caller's transaction.

A correction changes one snapshot (its quality, one count, or the whole row: deleted, or replaced
by a re-import) or one published figure, and the ``correction`` table keeps the value it had
before, so ``undo`` can put it back. The change is made in place: everything that reads
snapshots afterwards (growth, reports, digests, charts, the API) sees the corrected history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from bot.kinds import CorrectionAction, Quality
from bot.store.tables import ACCOUNT, CORRECTION, PUBLISHED_FIGURE, SNAPSHOT, chunks

# The columns a snapshot correction may set one at a time, and what a whole row holds.
COUNT_FIELDS = ("followers", "following", "posts")
ROW_FIELDS = ("followers", "following", "posts", "extra", "precision", "source", "quality")
# What makes two observations of one instant different (a re-import with the same counts is not
# a replacement, whatever its source or quality).
_COMPARED = ("followers", "following", "posts", "precision")


@dataclass(frozen=True)
class Audit:
    """Who makes a change, with which command, and when."""

    origin: str  # the command, e.g. "bot correct" or "bot import --replace history.csv"
    actor: str | None  # the user who ran it, when known
    at: datetime


@dataclass(frozen=True)
class Change:
    """One change to one snapshot: build it with ``mark``, ``set_count`` or ``delete``."""

    action: CorrectionAction
    field: str
    value: Any = None  # the new value; None for a deletion

    @classmethod
    def mark(cls, quality: Quality) -> Change:
        """Mark the snapshot ``ok`` or ``suspect``."""
        if quality not in (Quality.OK, Quality.SUSPECT):
            raise ValueError(f"a snapshot is marked ok or suspect, not {quality}")
        action = (
            CorrectionAction.MARK_OK if quality == Quality.OK else CorrectionAction.MARK_SUSPECT
        )
        return cls(action, "quality", str(quality))

    @classmethod
    def set_count(cls, field: str, value: int) -> Change:
        """Set one counter of the snapshot."""
        if field not in COUNT_FIELDS:
            raise ValueError(f"not a counter: {field}")
        return cls(CorrectionAction.SET, field, value)

    @classmethod
    def delete(cls) -> Change:
        """Delete the snapshot."""
        return cls(CorrectionAction.DELETE, "snapshot")


@dataclass(frozen=True)
class StoredSnapshot:
    """A snapshot row with everything a correction may change or must keep."""

    account_id: int
    captured_at: datetime
    followers: int | None
    following: int | None
    posts: int | None
    extra: dict[str, Any] | None
    precision: int
    source: str
    quality: str

    def values(self) -> dict[str, Any]:
        """The row's values, as the audit trail keeps them."""
        return {name: getattr(self, name) for name in ROW_FIELDS}


@dataclass(frozen=True)
class CorrectionRecord:
    """One row of the audit trail, with the account and the figure it names."""

    id: int
    account_id: int
    platform: str
    handle: str
    captured_at: datetime | None
    figure_id: int | None
    from_date: date | None
    to_date: date | None
    action: str
    field: str
    old: Any
    new: Any
    origin: str
    actor: str | None
    at: datetime
    undone_at: datetime | None


def stored_snapshots(
    connection: Connection,
    account_id: int,
    *,
    first: datetime,
    last: datetime,
    lock: bool = False,
) -> list[StoredSnapshot]:
    """The account's snapshots in [first, last], oldest first; ``lock`` holds them (PostgreSQL)."""
    statement = (
        select(SNAPSHOT)
        .where(
            SNAPSHOT.c.account_id == account_id,
            SNAPSHOT.c.captured_at >= first,
            SNAPSHOT.c.captured_at <= last,
        )
        .order_by(SNAPSHOT.c.captured_at)
    )
    if lock:
        statement = statement.with_for_update()
    return [_stored(row) for row in connection.execute(statement)]


def neighbours(
    connection: Connection, account_id: int, *, first: datetime, last: datetime
) -> list[StoredSnapshot]:
    """The newest snapshot before ``first`` and the oldest after ``last``, where there are."""
    found: list[StoredSnapshot] = []
    captured = SNAPSHOT.c.captured_at
    for condition, order in ((captured < first, captured.desc()), (captured > last, captured)):
        row = connection.execute(
            select(SNAPSHOT)
            .where(SNAPSHOT.c.account_id == account_id, condition)
            .order_by(order)
            .limit(1)
        ).first()
        if row is not None:
            found.append(_stored(row))
    return found


def apply(
    connection: Connection, target: StoredSnapshot, change: Change, audit: Audit
) -> int | None:
    """Make ``change`` to ``target`` and record it: the correction id, None if nothing changes."""
    where = _at(target.account_id, target.captured_at)
    if change.action == CorrectionAction.DELETE:
        old, new = target.values(), None
        connection.execute(delete(SNAPSHOT).where(where))
    else:
        old, new = getattr(target, change.field), change.value
        if old == new:
            return None
        connection.execute(update(SNAPSHOT).where(where).values({change.field: new}))
    return record(
        connection,
        audit,
        account_id=target.account_id,
        captured_at=target.captured_at,
        action=change.action,
        field=change.field,
        old=old,
        new=new,
    )


def record(
    connection: Connection,
    audit: Audit,
    *,
    account_id: int,
    action: CorrectionAction,
    field: str,
    old: Any,
    new: Any,
    captured_at: datetime | None = None,
    figure_id: int | None = None,
) -> int:
    """Write one audit row; its id."""
    result = connection.execute(
        insert(CORRECTION).values(
            account_id=account_id,
            captured_at=captured_at,
            figure_id=figure_id,
            action=action,
            field=field,
            old_value=old,
            new_value=new,
            origin=audit.origin[:255],
            actor=audit.actor[:64] if audit.actor else None,
            at=audit.at,
        )
    )
    key = result.inserted_primary_key
    assert key is not None  # a single-row insert always has one
    return int(key[0])


def replace_existing(
    connection: Connection, rows: Sequence[Mapping[str, Any]], audit: Audit
) -> int:
    """Overwrite stored snapshots at the rows' instants whose values differ; how many were."""
    wanted: dict[int, dict[datetime, Mapping[str, Any]]] = defaultdict(dict)
    for row in rows:
        wanted[row["account_id"]][row["captured_at"]] = row
    replaced = 0
    for account_id, by_time in wanted.items():
        for chunk in chunks(sorted(by_time)):
            statement = select(SNAPSHOT).where(
                SNAPSHOT.c.account_id == account_id, SNAPSHOT.c.captured_at.in_(chunk)
            )
            for stored in [_stored(r) for r in connection.execute(statement)]:
                new = by_time[stored.captured_at]
                if all(getattr(stored, name) == new[name] for name in _COMPARED):
                    continue
                values = {name: new[name] for name in ROW_FIELDS}
                _replace(connection, stored, values, audit)
                replaced += 1
    return replaced


def _replace(
    connection: Connection, stored: StoredSnapshot, values: dict[str, Any], audit: Audit
) -> None:
    """Overwrite one snapshot's values and record the replacement."""
    connection.execute(
        update(SNAPSHOT).where(_at(stored.account_id, stored.captured_at)).values(values)
    )
    record(
        connection,
        audit,
        account_id=stored.account_id,
        captured_at=stored.captured_at,
        action=CorrectionAction.REPLACE,
        field="snapshot",
        old=stored.values(),
        new=values,
    )


def get(connection: Connection, correction_id: int) -> CorrectionRecord | None:
    """One correction by id."""
    found = _records(connection, CORRECTION.c.id == correction_id)
    return found[0] if found else None


def listing(connection: Connection, account_id: int | None = None) -> list[CorrectionRecord]:
    """Every correction (of one account), oldest first."""
    condition = CORRECTION.c.account_id == account_id if account_id is not None else None
    return _records(connection, condition)


def later_change(connection: Connection, record: CorrectionRecord) -> int | None:
    """The first correction after ``record`` of the same snapshot or figure still in force."""
    if record.figure_id is not None:
        same = CORRECTION.c.figure_id == record.figure_id
    else:
        same = and_(
            CORRECTION.c.account_id == record.account_id,
            CORRECTION.c.captured_at == record.captured_at,
        )
    later: int | None = connection.execute(
        select(func.min(CORRECTION.c.id)).where(
            same, CORRECTION.c.id > record.id, CORRECTION.c.undone_at.is_(None)
        )
    ).scalar_one()
    return later


def undo(connection: Connection, record: CorrectionRecord, *, at: datetime) -> bool:
    """Put back the value ``record`` replaced; False when its snapshot or instant is gone/taken."""
    if record.figure_id is not None:
        done = _update_figure(connection, record.figure_id, record.old)
    elif record.action == CorrectionAction.DELETE:
        done = _reinsert(connection, record)
    else:
        assert record.captured_at is not None
        # A whole row (a replacement by a re-import) or one field's value.
        values = record.old if isinstance(record.old, dict) else {record.field: record.old}
        result = connection.execute(
            update(SNAPSHOT).where(_at(record.account_id, record.captured_at)).values(values)
        )
        done = result.rowcount == 1
    if done:
        connection.execute(
            update(CORRECTION).where(CORRECTION.c.id == record.id).values(undone_at=at)
        )
    return done


def _update_figure(connection: Connection, figure_id: int, value: Any) -> bool:
    """Set a published figure's value back."""
    result = connection.execute(
        update(PUBLISHED_FIGURE).where(PUBLISHED_FIGURE.c.id == figure_id).values(value=value)
    )
    return result.rowcount == 1


def _reinsert(connection: Connection, record: CorrectionRecord) -> bool:
    """Insert a deleted snapshot again, unless its instant is taken."""
    assert record.captured_at is not None
    taken = connection.execute(
        select(SNAPSHOT.c.id).where(_at(record.account_id, record.captured_at))
    ).first()
    if taken is not None:
        return False
    connection.execute(
        insert(SNAPSHOT).values(
            account_id=record.account_id, captured_at=record.captured_at, **record.old
        )
    )
    return True


def _records(connection: Connection, condition: Any) -> list[CorrectionRecord]:
    """Corrections with their account and figure, oldest first."""
    figure = PUBLISHED_FIGURE
    statement = (
        select(
            CORRECTION, ACCOUNT.c.platform, ACCOUNT.c.handle, figure.c.from_date, figure.c.to_date
        )
        .join(ACCOUNT, ACCOUNT.c.id == CORRECTION.c.account_id)
        .outerjoin(figure, figure.c.id == CORRECTION.c.figure_id)
        .order_by(CORRECTION.c.id)
    )
    if condition is not None:
        statement = statement.where(condition)
    return [
        CorrectionRecord(
            id=row.id,
            account_id=row.account_id,
            platform=row.platform,
            handle=row.handle,
            captured_at=row.captured_at,
            figure_id=row.figure_id,
            from_date=row.from_date,
            to_date=row.to_date,
            action=row.action,
            field=row.field,
            old=row.old_value,
            new=row.new_value,
            origin=row.origin,
            actor=row.actor,
            at=row.at,
            undone_at=row.undone_at,
        )
        for row in connection.execute(statement)
    ]


def _at(account_id: int, captured_at: datetime) -> Any:
    """The one snapshot of an account at an instant."""
    return and_(SNAPSHOT.c.account_id == account_id, SNAPSHOT.c.captured_at == captured_at)


def _stored(row: Any) -> StoredSnapshot:
    """A snapshot result row -> StoredSnapshot."""
    return StoredSnapshot(
        row.account_id,
        row.captured_at,
        row.followers,
        row.following,
        row.posts,
        row.extra,
        row.precision,
        row.source,
        row.quality,
    )
