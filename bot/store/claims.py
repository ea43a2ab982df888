"""Claiming due accounts with a lease, so several workers share the work and none repeats it.

PostgreSQL: ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING``; two
workers never get the same row, and a dead worker's lease runs out. SQLite: the same statement
without row locks (one daemon per file, enforced by a lock file).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from bot.kinds import AccountStatus
from bot.store.models import Account
from bot.store.tables import ACCOUNT, chunks


def claim_due(
    engine: Engine, now: datetime, *, worker: str, lease: timedelta, limit: int
) -> list[Account]:
    """Lease up to ``limit`` due accounts to ``worker``, soonest due first."""
    due = (
        core_select(ACCOUNT.c.id)
        .where(
            ACCOUNT.c.next_poll_at.is_not(None),
            ACCOUNT.c.next_poll_at <= now,
            ACCOUNT.c.status != AccountStatus.PAUSED,
            or_(
                ACCOUNT.c.lease_until.is_(None),
                ACCOUNT.c.lease_until <= now,
                # A lease ending further ahead than a lease lasts was taken before the clock
                # stepped back: it is stale, not held.
                ACCOUNT.c.lease_until > now + lease,
            ),
        )
        .order_by(ACCOUNT.c.next_poll_at, ACCOUNT.c.id)
        .limit(limit)
    )
    if engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(ACCOUNT)
        .where(ACCOUNT.c.id.in_(due.scalar_subquery()))
        .values(lease_owner=worker, lease_until=now + lease)
        .returning(ACCOUNT.c.id)
    )
    with engine.begin() as connection:
        ids = sorted(connection.execute(statement).scalars().all())
    # Loading through the ORM is about twice as fast as validating returned rows.
    claimed: list[Account] = []
    with Session(engine, expire_on_commit=False) as session:
        for chunk in chunks(ids):
            claimed += session.exec(select(Account).where(col(Account.id).in_(chunk))).all()
    return sorted(claimed, key=lambda a: a.id or 0)


def pull_back(
    engine: Engine,
    now: datetime,
    intervals: Mapping[tuple[str, str], timedelta],
    identity: Callable[[str, str], tuple[str, str]] = lambda platform, handle: (platform, handle),
) -> int:
    """Due times further than their account's interval from ``now`` become one interval on.

    A backward clock correction leaves due times days ahead, computed on the wrong clock; without
    this, polling stalls until the clock catches up. ``intervals`` is keyed by ``identity`` of
    (platform, handle), so a handle configured in another case than stored still matches.
    Returns how many accounts were pulled back.
    """
    ahead = core_select(ACCOUNT.c.id, ACCOUNT.c.platform, ACCOUNT.c.handle).where(
        ACCOUNT.c.next_poll_at > now
    )
    moved = 0
    with engine.begin() as connection:
        groups: dict[timedelta, list[int]] = {}
        for row in connection.execute(ahead):
            interval = intervals.get(identity(row.platform, row.handle))
            if interval is not None:
                groups.setdefault(interval, []).append(row.id)
        for interval, ids in groups.items():
            for chunk in chunks(ids):
                moved += connection.execute(
                    update(ACCOUNT)
                    .where(ACCOUNT.c.id.in_(chunk), ACCOUNT.c.next_poll_at > now + interval)
                    .values(next_poll_at=now + interval)
                ).rowcount
    return moved


def release_leases(engine: Engine, worker: str | None = None) -> None:
    """Give up leases: this worker's on the way out, or all of them (one daemon per SQLite)."""
    statement = update(ACCOUNT).values(lease_owner=None, lease_until=None)
    if worker is not None:
        statement = statement.where(ACCOUNT.c.lease_owner == worker)
    else:
        statement = statement.where(ACCOUNT.c.lease_owner.is_not(None))
    with engine.begin() as connection:
        connection.execute(statement)


def lease_owners(engine: Engine, prefix: str) -> set[str]:
    """Workers whose names start with ``prefix`` and hold a lease on some account."""
    statement = (
        core_select(ACCOUNT.c.lease_owner)
        .where(ACCOUNT.c.lease_owner.startswith(prefix, autoescape=True))
        .distinct()
    )
    with engine.connect() as connection:
        return {owner for owner in connection.execute(statement).scalars() if owner}
