"""Read queries over snapshots: per-account index seeks, a few statements for many accounts.

Each seek is a correlated scalar subquery on ``(account_id, captured_at)`` returning one snapshot
id; the rows are then fetched by id. This stays fast on SQLite and PostgreSQL alike (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, ScalarSelect, and_, func, select

from bot.growth import Point
from bot.kinds import Quality
from bot.store.tables import ACCOUNT, SNAPSHOT, id_pieces


@dataclass(frozen=True)
class SnapshotRow:
    """A stored snapshot as the query commands show it."""

    captured_at: datetime
    followers: int | None
    following: int | None
    posts: int | None
    precision: int
    source: str
    quality: str  # a ``Quality`` value

    def point(self) -> Point:
        """The growth maths' view of this row."""
        return Point(self.captured_at, self.followers, self.following, self.posts, self.precision)


def _seek(*conditions: Any, newest: bool, good_only: bool = True) -> ScalarSelect[Any]:
    """The id of the newest (or oldest) snapshot of the outer account matching ``conditions``."""
    where = [SNAPSHOT.c.account_id == ACCOUNT.c.id, *conditions]
    if good_only:
        where.append(SNAPSHOT.c.quality != Quality.SUSPECT)
    order = SNAPSHOT.c.captured_at.desc() if newest else SNAPSHOT.c.captured_at.asc()
    return select(SNAPSHOT.c.id).where(and_(*where)).order_by(order).limit(1).scalar_subquery()


def newest_id() -> ScalarSelect[Any]:
    """The id of the outer account's newest snapshot, whatever its quality."""
    return _seek(newest=True, good_only=False)


# What a SnapshotRow holds, in its order: the seeks and lists fetch these columns only.
_FIELDS = ("captured_at", "followers", "following", "posts", "precision", "source", "quality")
_COLUMNS = tuple(SNAPSHOT.c[name] for name in _FIELDS)


def _to_row(row: Sequence[Any]) -> SnapshotRow:
    """The ``_FIELDS`` columns of a result row -> SnapshotRow."""
    return SnapshotRow(*row)


def _seek_many(
    connection: Connection, account_ids: Sequence[int], seeks: Sequence[ScalarSelect[Any]]
) -> dict[int, list[SnapshotRow | None]]:
    """Several seeks for every account: one statement per chunk of accounts.

    Each seek picks a snapshot id per account (a correlated subquery, one index seek); the
    picked rows are joined back by primary key in the same statement.
    """
    width = len(_FIELDS)
    found: dict[int, list[SnapshotRow | None]] = {}
    for piece in id_pieces(connection.dialect, ACCOUNT.c.id, account_ids):
        picked = (
            select(ACCOUNT.c.id, *(seek.label(f"seek{i}") for i, seek in enumerate(seeks)))
            .where(piece)
            .subquery("picked")
        )
        joined: Any = picked
        columns: list[Any] = [picked.c.id]
        for i in range(len(seeks)):
            row = SNAPSHOT.alias(f"row{i}")
            joined = joined.outerjoin(row, row.c.id == picked.c[f"seek{i}"])
            columns += [row.c[name] for name in _FIELDS]
        for result in connection.execute(select(*columns).select_from(joined)).all():
            found[result[0]] = [
                _to_row(result[start : start + width]) if result[start] is not None else None
                for start in range(1, 1 + width * len(seeks), width)
            ]
    return found


def latest(connection: Connection, account_ids: Sequence[int]) -> dict[int, SnapshotRow | None]:
    """Each account's newest snapshot, whatever its quality."""
    seeks = [newest_id()]
    return {k: v[0] for k, v in _seek_many(connection, account_ids, seeks).items()}


def recent(
    connection: Connection, account_ids: Sequence[int]
) -> dict[int, tuple[SnapshotRow | None, SnapshotRow | None]]:
    """Each account's newest snapshot and newest good one (what the glitch rules compare)."""
    newest = latest(connection, account_ids)
    # The newest is almost always good: seek the last good one only behind a suspect point.
    behind = [i for i, row in newest.items() if row is not None and row.quality == Quality.SUSPECT]
    good = {k: v[0] for k, v in _seek_many(connection, behind, [_seek(newest=True)]).items()}
    return {
        i: (row, good.get(i) if row is not None and row.quality == Quality.SUSPECT else row)
        for i, row in newest.items()
    }


def growth_candidates(
    connection: Connection,
    account_ids: Sequence[int],
    *,
    at: datetime,
    target: datetime,
    tol: timedelta,
) -> dict[int, tuple[SnapshotRow | None, SnapshotRow | None, SnapshotRow | None]]:
    """Per account: the newest good snapshot at ``at`` and the good ones around ``target``.

    The candidates around ``target`` are older than that current one: the baseline is never the
    current figure, and a snapshot between them must not hide an older one in the tolerance.
    """
    seeks = _growth_seeks(at, target, tol)
    return {k: (v[0], v[1], v[2]) for k, v in _seek_many(connection, account_ids, seeks).items()}


def _growth_seeks(at: datetime, target: datetime, tol: timedelta) -> list[ScalarSelect[Any]]:
    """The three seeks of ``growth_candidates``: current, last before and first after target."""
    captured = SNAPSHOT.c.captured_at
    inner = SNAPSHOT.alias("current")
    current_at = (
        select(inner.c.captured_at)
        .where(
            inner.c.account_id == ACCOUNT.c.id,
            inner.c.quality != Quality.SUSPECT,
            inner.c.captured_at <= at,
        )
        .order_by(inner.c.captured_at.desc())
        .limit(1)
        # Nested in a seek, without this SQLAlchemy adds ``account`` to its FROM and takes the
        # newest snapshot of every account instead of this one's.
        .correlate(ACCOUNT)
        .scalar_subquery()
    )
    return [
        _seek(captured <= at, newest=True),
        _seek(captured < target, captured >= target - tol, captured < current_at, newest=True),
        _seek(
            captured >= target,
            captured <= min(target + tol, at),
            captured < current_at,
            newest=False,
        ),
    ]


# What a point of the growth maths needs of a snapshot, in ``Point``'s order.
POINT_FIELDS = ("captured_at", "followers", "following", "posts", "precision")


def growth_listing(
    connection: Connection,
    columns: Sequence[Any],
    *where: Any,
    at: datetime,
    target: datetime,
    tol: timedelta,
) -> list[Any]:
    """Accounts with their growth candidates: current, last before and first after ``target``."""
    return listing(connection, columns, _growth_seeks(at, target, tol), where)


def range_listing(
    connection: Connection, columns: Sequence[Any], *where: Any, first: datetime, last: datetime
) -> list[Any]:
    """Accounts with the ends of ``range_endpoints``: last good at ``first``, at ``last``."""
    return listing(connection, columns, _range_seeks(first, last), where)


def listing(
    connection: Connection,
    columns: Sequence[Any],
    seeks: Sequence[ScalarSelect[Any]],
    where: Sequence[Any],
    fields: Sequence[str] = POINT_FIELDS,
) -> list[Any]:
    """Accounts (``columns`` of ``where``, by platform and handle) with seeks, one statement.

    Each row holds ``columns``, then ``fields`` of each seek's snapshot (all None where there is
    none). No list of ids is sent: at 100,000 accounts one statement instead of 200.
    """
    joined: Any = ACCOUNT
    selected = list(columns)
    for i, seek in enumerate(seeks):
        row = SNAPSHOT.alias(f"row{i}")
        joined = joined.outerjoin(row, row.c.id == seek)
        selected += [row.c[name] for name in fields]
    statement = select(*selected).select_from(joined).where(*where)
    return list(connection.execute(statement.order_by(ACCOUNT.c.platform, ACCOUNT.c.handle)))


def points(row: Sequence[Any], start: int, count: int) -> list[Point | None]:
    """The ``count`` points of a listing's row from ``start`` (None: no snapshot)."""
    width = len(POINT_FIELDS)
    found: list[Point | None] = []
    for begin in range(start, start + count * width, width):
        found.append(None if row[begin] is None else Point(*row[begin : begin + width]))
    return found


def range_endpoints(
    connection: Connection, account_ids: Sequence[int], *, first: datetime, last: datetime
) -> dict[int, tuple[SnapshotRow | None, SnapshotRow | None]]:
    """Per account: the last good snapshot on or before ``first`` and on or before ``last``."""
    seeks = _range_seeks(first, last)
    return {k: (v[0], v[1]) for k, v in _seek_many(connection, account_ids, seeks).items()}


def _range_seeks(first: datetime, last: datetime) -> list[ScalarSelect[Any]]:
    """The two seeks of ``range_endpoints``."""
    captured = SNAPSHOT.c.captured_at
    return [_seek(captured <= first, newest=True), _seek(captured <= last, newest=True)]


def series(
    connection: Connection,
    account_id: int,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[SnapshotRow]:
    """One account's snapshots in time order, optionally within [since, until]."""
    statement = select(*_COLUMNS).where(SNAPSHOT.c.account_id == account_id)
    if since is not None:
        statement = statement.where(SNAPSHOT.c.captured_at >= since)
    if until is not None:
        statement = statement.where(SNAPSHOT.c.captured_at <= until)
    statement = statement.order_by(SNAPSHOT.c.captured_at)
    return [_to_row(row) for row in connection.execute(statement)]


def snapshots_between(
    connection: Connection, account_ids: Sequence[int], *, since: datetime, until: datetime
) -> dict[int, list[SnapshotRow]]:
    """Every snapshot (any quality) of these accounts in [since, until], in time order."""
    found: dict[int, list[SnapshotRow]] = {i: [] for i in account_ids}
    for piece in id_pieces(connection.dialect, SNAPSHOT.c.account_id, account_ids):
        statement = (
            select(SNAPSHOT.c.account_id, *_COLUMNS)
            .where(
                piece,
                SNAPSHOT.c.captured_at >= since,
                SNAPSHOT.c.captured_at <= until,
            )
            .order_by(SNAPSHOT.c.account_id, SNAPSHOT.c.captured_at)
        )
        for row in connection.execute(statement).all():
            found[row[0]].append(_to_row(row[1:]))
    return found


def first_captured_at(connection: Connection) -> datetime | None:
    """When the oldest stored snapshot was taken; None in an empty database."""
    first: datetime | None = connection.execute(
        select(func.min(SNAPSHOT.c.captured_at))
    ).scalar_one()
    return first


def export_rows(connection: Connection) -> Iterator[Any]:
    """Every snapshot with its account's platform and handle, streamed in order."""
    statement = (
        select(
            ACCOUNT.c.platform,
            ACCOUNT.c.handle,
            SNAPSHOT.c.captured_at,
            SNAPSHOT.c.followers,
            SNAPSHOT.c.following,
            SNAPSHOT.c.posts,
            SNAPSHOT.c.source,
            SNAPSHOT.c.quality,
            ACCOUNT.c.platform_id,
        )
        .join(ACCOUNT, ACCOUNT.c.id == SNAPSHOT.c.account_id)
        .order_by(ACCOUNT.c.platform, ACCOUNT.c.handle, SNAPSHOT.c.captured_at)
    )
    yield from connection.execution_options(yield_per=2000).execute(statement)
