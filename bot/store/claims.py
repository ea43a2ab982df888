"""Claiming due accounts with a lease, so several workers share the work and none repeats it.

PostgreSQL: ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING``; two
workers never get the same row, and a dead worker's lease runs out. SQLite: the same statement
without row locks (one daemon per file, enforced by a lock file).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, or_, update
from sqlalchemy import select as core_select

from bot.kinds import AccountStatus
from bot.store.tables import ACCOUNT, chunks


class Pollable(Protocol):
    """What a poll cycle reads of an account: a ``DueAccount`` or an ORM ``Account``."""

    @property
    def id(self) -> int | None: ...
    @property
    def platform(self) -> str: ...
    @property
    def handle(self) -> str: ...
    @property
    def platform_id(self) -> str | None: ...
    @property
    def display_name(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def origin(self) -> str | None: ...
    @property
    def interval_seconds(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class DueAccount:
    """An account to poll, as a light row: a cycle builds no ORM object per account."""

    id: int
    platform: str
    handle: str
    platform_id: str | None
    display_name: str | None
    status: str
    origin: str | None
    interval_seconds: int | None


# The columns a DueAccount is built from, in its fields' order.
_COLUMNS = (
    ACCOUNT.c.id,
    ACCOUNT.c.platform,
    ACCOUNT.c.handle,
    ACCOUNT.c.platform_id,
    ACCOUNT.c.display_name,
    ACCOUNT.c.status,
    ACCOUNT.c.origin,
    ACCOUNT.c.interval_seconds,
)


def _due_account(row: Any) -> DueAccount:
    """A result row of ``_COLUMNS`` -> DueAccount."""
    return DueAccount(*row)


def claim_due(
    engine: Engine, now: datetime, *, worker: str, lease: timedelta, limit: int
) -> list[DueAccount]:
    """Lease up to ``limit`` due accounts to ``worker``, soonest due first; returned by id."""
    due = (
        core_select(ACCOUNT.c.id)
        .where(
            ACCOUNT.c.next_poll_at.is_not(None),
            ACCOUNT.c.next_poll_at <= now,
            ACCOUNT.c.status != AccountStatus.PAUSED,
            or_(
                ACCOUNT.c.lease_until.is_(None),
                ACCOUNT.c.lease_until <= now,
                # A lease ending further ahead than two leases last was taken before the clock
                # stepped back: it is stale, not held. Not one lease: another worker's clock
                # read a few milliseconds later than ours (or clock skew between hosts) puts a
                # lease just taken a little beyond ``now + lease``, and it would be claimed
                # twice (the soak's four workers all polled the first cycle twice).
                ACCOUNT.c.lease_until > now + 2 * lease,
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
        .returning(*_COLUMNS)
    )
    with engine.begin() as connection:
        claimed = [_due_account(row) for row in connection.execute(statement)]
    claimed.sort(key=lambda a: a.id)
    return claimed


def scheduled_page(
    engine: Engine,
    now: datetime,
    *,
    after: int,
    limit: int,
    platform: str | None = None,
    everything: bool = False,
) -> list[DueAccount]:
    """Up to ``limit`` scheduled, unpaused accounts with an id above ``after``, by id.

    The due ones at ``now``, or ``everything`` scheduled; paging by id keeps memory bounded.
    """
    statement = core_select(*_COLUMNS).where(
        ACCOUNT.c.next_poll_at.is_not(None),
        ACCOUNT.c.status != AccountStatus.PAUSED,
        ACCOUNT.c.id > after,
    )
    if not everything:
        statement = statement.where(ACCOUNT.c.next_poll_at <= now)
    if platform:
        statement = statement.where(ACCOUNT.c.platform == platform)
    statement = statement.order_by(ACCOUNT.c.id).limit(limit)
    with engine.connect() as connection:
        return [_due_account(row) for row in connection.execute(statement)]


def pull_back(engine: Engine, now: datetime, interval_of: Callable[[Any], timedelta | None]) -> int:
    """Due times further than their account's interval from ``now`` become one interval on.

    A backward clock correction leaves due times days ahead, computed on the wrong clock; without
    this, polling stalls until the clock catches up. ``interval_of`` reads a row's platform,
    origin, status and interval_seconds (``bot.intervals.account_interval``). Returns how many
    accounts were pulled back.
    """
    ahead = core_select(
        ACCOUNT.c.id,
        ACCOUNT.c.platform,
        ACCOUNT.c.origin,
        ACCOUNT.c.status,
        ACCOUNT.c.interval_seconds,
    ).where(ACCOUNT.c.next_poll_at > now)
    moved = 0
    with engine.begin() as connection:
        groups: dict[timedelta, list[int]] = {}
        for row in connection.execute(ahead):
            interval = interval_of(row)
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
