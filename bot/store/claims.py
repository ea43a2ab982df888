"""Claiming due accounts with a lease, so several workers share the work and none repeats it.

PostgreSQL: ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING``; two
workers never get the same row, and a dead worker's lease runs out. SQLite: the same statement
without row locks (one daemon per file, enforced by a lock file).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from bot.store.models import Account

_ACCOUNT = Account.__table__  # type: ignore[attr-defined]
# SQLite caps bound parameters per statement.
_CHUNK = 500


def claim_due(
    engine: Engine, now: datetime, *, worker: str, lease: timedelta, limit: int
) -> list[Account]:
    """Lease up to ``limit`` due accounts to ``worker``, soonest due first."""
    due = (
        core_select(_ACCOUNT.c.id)
        .where(
            _ACCOUNT.c.next_poll_at.is_not(None),
            _ACCOUNT.c.next_poll_at <= now,
            _ACCOUNT.c.status != "paused",
            or_(_ACCOUNT.c.lease_until.is_(None), _ACCOUNT.c.lease_until <= now),
        )
        .order_by(_ACCOUNT.c.next_poll_at, _ACCOUNT.c.id)
        .limit(limit)
    )
    if engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(_ACCOUNT)
        .where(_ACCOUNT.c.id.in_(due.scalar_subquery()))
        .values(lease_owner=worker, lease_until=now + lease)
        .returning(_ACCOUNT.c.id)
    )
    with engine.begin() as connection:
        ids = sorted(connection.execute(statement).scalars().all())
    # Loading through the ORM is about twice as fast as validating returned rows.
    claimed: list[Account] = []
    with Session(engine, expire_on_commit=False) as session:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            claimed += session.exec(select(Account).where(col(Account.id).in_(chunk))).all()
    return sorted(claimed, key=lambda a: a.id or 0)
