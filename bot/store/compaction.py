"""The statements of ``bot compact``: old snapshots read per account chunk, deleted by id, sizes.

Sizes come from the database's own accounting: ``pg_total_relation_size`` on PostgreSQL (the
table, its indexes and TOAST), SQLite's ``dbstat`` over the table and its indexes (the whole
file's ``page_count * page_size`` where dbstat is not compiled in).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine, and_, delete, exists, func, select, text
from sqlalchemy.exc import OperationalError

from bot.kinds import Quality
from bot.retention import Stored
from bot.store.tables import ACCOUNT, CORRECTION, SNAPSHOT, chunks


def account_ids(connection: Connection) -> list[int]:
    """Every account id, in order."""
    return list(connection.execute(select(ACCOUNT.c.id).order_by(ACCOUNT.c.id)).scalars())


def points_before(
    connection: Connection, ids: Sequence[int], cutoff: datetime
) -> dict[int, list[Stored]]:
    """Each account's snapshots before ``cutoff``, oldest first (what the keep rule needs)."""
    found: dict[int, list[Stored]] = defaultdict(list)
    statement = (
        select(SNAPSHOT.c.id, SNAPSHOT.c.account_id, SNAPSHOT.c.captured_at, SNAPSHOT.c.quality)
        .where(SNAPSHOT.c.account_id.in_(ids), SNAPSHOT.c.captured_at < cutoff)
        .order_by(SNAPSHOT.c.account_id, SNAPSHOT.c.captured_at)
    )
    for row in connection.execute(statement):
        found[row.account_id].append(Stored(row.id, row.captured_at, row.quality))
    return found


def referenced(
    connection: Connection, ids: Sequence[int], cutoff: datetime
) -> dict[int, frozenset[datetime]]:
    """Per account, the instants before ``cutoff`` that a correction names (never removed)."""
    found: dict[int, set[datetime]] = defaultdict(set)
    statement = select(CORRECTION.c.account_id, CORRECTION.c.captured_at).where(
        CORRECTION.c.account_id.in_(ids), CORRECTION.c.captured_at < cutoff
    )
    for row in connection.execute(statement):
        found[row.account_id].add(row.captured_at)
    return {account: frozenset(instants) for account, instants in found.items()}


def remove(connection: Connection, ids: Sequence[int]) -> int:
    """Delete these snapshots, unless one turned flagged or corrected since it was read."""
    named = exists().where(
        and_(
            CORRECTION.c.account_id == SNAPSHOT.c.account_id,
            CORRECTION.c.captured_at == SNAPSHOT.c.captured_at,
        )
    )
    removed = 0
    for chunk in chunks(ids):
        result = connection.execute(
            delete(SNAPSHOT).where(
                SNAPSHOT.c.id.in_(chunk), SNAPSHOT.c.quality == Quality.OK, ~named
            )
        )
        removed += result.rowcount
    return removed


def count(connection: Connection) -> int:
    """How many snapshots are stored."""
    return int(connection.execute(select(func.count()).select_from(SNAPSHOT)).scalar_one())


def size_bytes(connection: Connection) -> int:
    """The bytes the snapshot table and its indexes take, by the database's own count."""
    if connection.dialect.name == "postgresql":
        return int(
            connection.execute(text("SELECT pg_total_relation_size('snapshot')")).scalar_one()
        )
    try:
        used = connection.execute(
            text(
                "SELECT sum(pgsize) FROM dbstat WHERE name IN"
                " (SELECT name FROM sqlite_master WHERE tbl_name = 'snapshot')"
            )
        ).scalar_one()
    except OperationalError:  # a SQLite built without dbstat
        pages = connection.execute(text("PRAGMA page_count")).scalar_one()
        used = pages * connection.execute(text("PRAGMA page_size")).scalar_one()
    return int(used or 0)


def vacuum(engine: Engine) -> None:
    """Give the freed space back: ``VACUUM`` (SQLite) or ``VACUUM FULL snapshot`` (PostgreSQL)."""
    statement = "VACUUM" if engine.dialect.name == "sqlite" else "VACUUM (FULL, ANALYZE) snapshot"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(statement))
