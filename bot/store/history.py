"""Read queries over snapshots: per-account index seeks, a few statements for many accounts.

Each seek is one index seek on ``(account_id, captured_at)`` per account: a LATERAL subquery on
PostgreSQL, a correlated subquery picking an id joined back by primary key on SQLite (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Dialect, ScalarSelect, and_, func, select, true

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


@dataclass(frozen=True)
class Seek:
    """Which snapshot of each account a query wants: the newest (or oldest) in a window."""

    newest: bool = True
    since: datetime | None = None  # captured_at >= since
    until: datetime | None = None  # captured_at <= until
    below: datetime | None = None  # captured_at < below
    under_first: bool = False  # older than the snapshot the statement's first seek found
    good_only: bool = True  # suspect points skipped


def newest_any() -> Seek:
    """The account's newest snapshot, whatever its quality."""
    return Seek(good_only=False)


def _conditions(seek: Seek, table: Any, first_at: Any) -> list[Any]:
    """``seek``'s window on ``table`` (a snapshot alias) for the outer account."""
    captured = table.c.captured_at
    where = [table.c.account_id == ACCOUNT.c.id]
    if seek.below is not None:
        where.append(captured < seek.below)
    if seek.since is not None:
        where.append(captured >= seek.since)
    if seek.until is not None:
        where.append(captured <= seek.until)
    if seek.under_first:
        where.append(captured < first_at)
    if seek.good_only:
        where.append(table.c.quality != Quality.SUSPECT)
    return where


def _ordered(seek: Seek, table: Any) -> Any:
    """The index order that puts the wanted snapshot first."""
    return table.c.captured_at.desc() if seek.newest else table.c.captured_at.asc()


def _seek_id(seek: Seek, first: Seek) -> ScalarSelect[Any]:
    """The id of ``seek``'s snapshot of the outer account: a correlated subquery (SQLite)."""
    first_at = None
    if seek.under_first:
        inner = SNAPSHOT.alias("first")
        first_at = (
            select(inner.c.captured_at)
            .where(and_(*_conditions(first, inner, None)))
            .order_by(_ordered(first, inner))
            .limit(1)
            # Nested in a seek, without this SQLAlchemy adds ``account`` to its FROM and takes
            # the snapshot of every account instead of this one's.
            .correlate(ACCOUNT)
            .scalar_subquery()
        )
    where = _conditions(seek, SNAPSHOT, first_at)
    statement = select(SNAPSHOT.c.id).where(and_(*where)).order_by(_ordered(seek, SNAPSHOT))
    return statement.limit(1).scalar_subquery()


def _seek_lateral(seek: Seek, name: str, fields: Sequence[str], first: Any) -> Any:
    """``seek``'s snapshot of the outer account as a LATERAL subquery (PostgreSQL)."""
    table = SNAPSHOT.alias(f"{name}_s")
    first_at = first.c.captured_at if seek.under_first else None
    wanted = dict.fromkeys(("captured_at", *fields))  # captured_at: what later seeks compare
    statement = select(*(table.c[f] for f in wanted)).where(*_conditions(seek, table, first_at))
    return statement.order_by(_ordered(seek, table)).limit(1).lateral(name)


def _with_seeks(
    dialect: Dialect, seeks: Sequence[Seek], fields: Sequence[str]
) -> tuple[Any, list[Any]]:
    """Accounts joined with each seek's snapshot; the ``fields`` of each, in seek order.

    PostgreSQL reads each snapshot in one LATERAL index scan, and a later seek compares with
    the first's row. SQLite has no LATERAL: each seek is a correlated subquery picking an id,
    joined back by primary key. (LATERAL halved PostgreSQL's time: docs/development.md.)
    """
    if seeks and seeks[0].under_first:
        raise ValueError("the first seek has no earlier seek to be older than")
    joined: Any = ACCOUNT
    columns: list[Any] = []
    first: Any = None
    for i, seek in enumerate(seeks):
        if dialect.name == "postgresql":
            row = _seek_lateral(seek, f"row{i}", fields, first)
            joined = joined.outerjoin(row, true())
            first = row if first is None else first
        else:
            row = SNAPSHOT.alias(f"row{i}")
            joined = joined.outerjoin(row, row.c.id == _seek_id(seek, seeks[0]))
        columns += [row.c[name] for name in fields]
    return joined, columns


# What a SnapshotRow holds, in its order: the seeks and lists fetch these columns only.
_FIELDS = ("captured_at", "followers", "following", "posts", "precision", "source", "quality")
_COLUMNS = tuple(SNAPSHOT.c[name] for name in _FIELDS)


def _to_row(row: Sequence[Any]) -> SnapshotRow:
    """The ``_FIELDS`` columns of a result row -> SnapshotRow."""
    return SnapshotRow(*row)


def seek_many(
    connection: Connection, account_ids: Sequence[int], seeks: Sequence[Seek]
) -> dict[int, list[SnapshotRow | None]]:
    """Several seeks for every account: one statement per chunk of accounts."""
    width = len(_FIELDS)
    found: dict[int, list[SnapshotRow | None]] = {}
    joined, columns = _with_seeks(connection.dialect, seeks, _FIELDS)
    for piece in id_pieces(connection.dialect, ACCOUNT.c.id, account_ids):
        statement = select(ACCOUNT.c.id, *columns).select_from(joined).where(piece)
        for result in connection.execute(statement).all():
            found[result[0]] = [
                _to_row(result[start : start + width]) if result[start] is not None else None
                for start in range(1, 1 + width * len(seeks), width)
            ]
    return found


def latest(connection: Connection, account_ids: Sequence[int]) -> dict[int, SnapshotRow | None]:
    """Each account's newest snapshot, whatever its quality."""
    return {k: v[0] for k, v in seek_many(connection, account_ids, [newest_any()]).items()}


def recent(
    connection: Connection, account_ids: Sequence[int]
) -> dict[int, tuple[SnapshotRow | None, SnapshotRow | None]]:
    """Each account's newest snapshot and newest good one (what the glitch rules compare)."""
    newest = latest(connection, account_ids)
    # The newest is almost always good: seek the last good one only behind a suspect point.
    behind = [i for i, row in newest.items() if row is not None and row.quality == Quality.SUSPECT]
    good = {k: v[0] for k, v in seek_many(connection, behind, [Seek()]).items()}
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
    seeks = growth_seeks(at, target, tol)
    return {k: (v[0], v[1], v[2]) for k, v in seek_many(connection, account_ids, seeks).items()}


def growth_seeks(at: datetime, target: datetime, tol: timedelta) -> list[Seek]:
    """The three seeks of ``growth_candidates``: current, last before and first after target.

    The last two compare with the first, so several windows' candidates can share one
    statement after one current seek (the digest asks four windows at once).
    """
    return [
        Seek(until=at),
        Seek(since=target - tol, below=target, under_first=True),
        Seek(newest=False, since=target, until=min(target + tol, at), under_first=True),
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
    return listing(connection, columns, growth_seeks(at, target, tol), where)


def range_listing(
    connection: Connection, columns: Sequence[Any], *where: Any, first: datetime, last: datetime
) -> list[Any]:
    """Accounts with the ends of ``range_endpoints``: last good at ``first``, at ``last``."""
    return listing(connection, columns, _range_seeks(first, last), where)


def listing(
    connection: Connection,
    columns: Sequence[Any],
    seeks: Sequence[Seek],
    where: Sequence[Any],
    fields: Sequence[str] = POINT_FIELDS,
) -> list[Any]:
    """Accounts (``columns`` of ``where``, by platform and handle) with seeks, one statement.

    Each row holds ``columns``, then ``fields`` of each seek's snapshot (all None where there is
    none). No list of ids is sent: at 100,000 accounts one statement instead of 200.
    """
    joined, selected = _with_seeks(connection.dialect, seeks, fields)
    statement = select(*columns, *selected).select_from(joined).where(*where)
    return list(connection.execute(statement.order_by(ACCOUNT.c.platform, ACCOUNT.c.handle)).all())


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
    return {k: (v[0], v[1]) for k, v in seek_many(connection, account_ids, seeks).items()}


def _range_seeks(first: datetime, last: datetime) -> list[Seek]:
    """The two seeks of ``range_endpoints``."""
    return [Seek(until=first), Seek(until=last)]


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
