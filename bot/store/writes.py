"""Bulk writes: snapshots and poll attempts in one transaction per poll cycle or batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import Connection, bindparam, delete, func, select, update

from bot.kinds import AccountStatus, PollOutcome, Quality, Source
from bot.store.arrays import columns_of, insert_arrays, update_arrays
from bot.store.bulk import execute_many
from bot.store.corrections import Audit, replace_existing
from bot.store.judging import set_qualities
from bot.store.tables import ACCOUNT, POLL_ATTEMPT, SNAPSHOT, chunks, insert_new


class NewSnapshot(TypedDict):
    """One ``snapshot`` row to insert."""

    account_id: int
    captured_at: datetime
    followers: int | None
    following: int | None
    posts: int | None
    extra: dict[str, Any] | None
    precision: int
    source: Source
    quality: Quality


@dataclass(frozen=True)
class SnapshotValues:
    """What a successful poll read: the counters to store and the identity the platform gave."""

    platform_id: str
    followers: int | None
    following: int | None
    posts: int | None
    display_name: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    precision: int = 1


@dataclass(frozen=True)
class PollRecord:
    """What one poll of one account produced, ready to be written."""

    account_id: int
    started_at: datetime
    duration_ms: int
    outcome: PollOutcome
    status: AccountStatus
    next_poll_at: datetime | None
    values: SnapshotValues | None = None
    http_status: int | None = None
    message: str | None = None
    quality: Quality = Quality.OK
    # False when the account already has this stable id and display name: nothing to update.
    identity_changed: bool = True
    # Stored snapshots of the account the gate judged anew with this poll (instant -> quality).
    requalified: Mapping[datetime, Quality] = field(default_factory=dict)


def insert_snapshots(
    connection: Connection, rows: Sequence[NewSnapshot], *, replace: Audit | None = None
) -> int:
    """Insert snapshots in bulk; an existing (account, instant) is left alone.

    With ``replace``, an existing one whose values differ is overwritten first, each recorded in
    the audit trail under ``replace``; returns how many were (0 without it).
    """
    if not rows:
        return 0
    replaced = replace_existing(connection, rows, replace) if replace is not None else 0
    if connection.dialect.name == "postgresql":
        columns = columns_of(rows, _SNAPSHOT_ARRAYS)
        insert_arrays(connection, "snapshot", columns, unique=["account_id", "captured_at"])
        return replaced
    statement = insert_new(connection.dialect, SNAPSHOT, unique=["account_id", "captured_at"])
    execute_many(connection, statement, rows)
    return replaced


def count_snapshots(connection: Connection, account_ids: Sequence[int]) -> int:
    """How many snapshots these accounts have (an index-only count)."""
    total = 0
    for chunk in chunks(account_ids):
        total += connection.execute(
            select(func.count()).select_from(SNAPSHOT).where(SNAPSHOT.c.account_id.in_(chunk))
        ).scalar_one()
    return total


def save_poll_records(connection: Connection, records: Sequence[PollRecord]) -> None:
    """Write one cycle: snapshots, attempts and account updates, in the caller's transaction."""
    if not records:
        return
    snapshots = [_snapshot_row(r, r.values) for r in records if r.values is not None]
    if snapshots:
        insert_snapshots(connection, snapshots)
    attempts = [_attempt_row(r) for r in records]
    updates = [
        {
            "b_id": r.account_id,
            "b_status": r.status,
            "b_next": r.next_poll_at,
            "b_polled": r.started_at,
            "b_error": None if r.outcome == PollOutcome.OK else r.message,
        }
        for r in records
    ]
    if connection.dialect.name == "postgresql":
        _arrays(connection, attempts, updates)
    else:
        execute_many(connection, POLL_ATTEMPT.insert(), attempts)
        execute_many(connection, _POLLED, updates)
    _record_identities(
        connection,
        {r.account_id: r.values for r in records if r.values is not None and r.identity_changed},
    )
    for record in records:
        set_qualities(connection, record.account_id, record.requalified)


# A polled account: how it went, when it is due next, its lease given up.
_POLLED = (
    update(ACCOUNT)
    .where(ACCOUNT.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        next_poll_at=bindparam("b_next"),
        last_polled_at=bindparam("b_polled"),
        last_error=bindparam("b_error"),
        lease_owner=None,
        lease_until=None,
    )
)
# The same three writes as arrays on PostgreSQL (bot/store/arrays.py): column, array type, key.
_SNAPSHOT_ARRAYS = [
    ("account_id", "int4", "account_id"),
    ("captured_at", "timestamptz", "captured_at"),
    ("followers", "int8", "followers"),
    ("following", "int8", "following"),
    ("posts", "int8", "posts"),
    ("extra", "json", "extra"),
    ("precision", "int4", "precision"),
    ("source", "text", "source"),
    ("quality", "text", "quality"),
]
_ATTEMPT_ARRAYS = [
    ("account_id", "int4", "account_id"),
    ("started_at", "timestamptz", "started_at"),
    ("duration_ms", "int4", "duration_ms"),
    ("outcome", "text", "outcome"),
    ("http_status", "int4", "http_status"),
    ("message", "text", "message"),
]
_POLLED_ARRAYS = [
    ("id", "int4", "b_id"),
    ("status", "text", "b_status"),
    ("next_poll_at", "timestamptz", "b_next"),
    ("last_polled_at", "timestamptz", "b_polled"),
    ("last_error", "text", "b_error"),
]


def _arrays(
    connection: Connection,
    attempts: Sequence[Mapping[str, Any]],
    updates: Sequence[Mapping[str, Any]],
) -> None:
    """The attempts inserted and the accounts updated as arrays (PostgreSQL)."""
    insert_arrays(connection, "poll_attempt", columns_of(attempts, _ATTEMPT_ARRAYS))
    polled = columns_of(updates, _POLLED_ARRAYS)
    update_arrays(
        connection, "account", "id", polled, also="lease_owner = NULL, lease_until = NULL"
    )


def set_platform_id(connection: Connection, account_id: int, platform_id: str) -> None:
    """Give an account its stable id (from an imported export) unless it has one already."""
    connection.execute(
        update(ACCOUNT)
        .where(ACCOUNT.c.id == account_id, ACCOUNT.c.platform_id.is_(None))
        .values(platform_id=platform_id)
    )


def defer_accounts(connection: Connection, due: Mapping[int, datetime]) -> None:
    """Accounts claimed but not polled (budget spent, breaker open): due again at ``due``."""
    if not due:
        return
    connection.execute(
        update(ACCOUNT)
        .where(ACCOUNT.c.id == bindparam("b_id"))
        .values(next_poll_at=bindparam("b_next"), lease_owner=None, lease_until=None),
        [{"b_id": account_id, "b_next": when} for account_id, when in due.items()],
    )


def reschedule_idle(
    connection: Connection, moves: Mapping[int, tuple[datetime, datetime]], now: datetime
) -> int:
    """Move due times ``{id: (read, new)}`` of accounts no worker holds and nobody moved since.

    Another worker may claim (or poll and reschedule) an account between our read and this
    write: such a row keeps its lease and due time, or it would be polled twice.
    """
    if not moves:
        return 0
    idle = (ACCOUNT.c.lease_until.is_(None)) | (ACCOUNT.c.lease_until <= now)
    result = connection.execute(
        update(ACCOUNT)
        .where(
            ACCOUNT.c.id == bindparam("b_id"), ACCOUNT.c.next_poll_at == bindparam("b_read"), idle
        )
        .values(next_poll_at=bindparam("b_next")),
        [{"b_id": i, "b_read": read, "b_next": new} for i, (read, new) in moves.items()],
    )
    return max(result.rowcount, 0)


def _snapshot_row(record: PollRecord, values: SnapshotValues) -> NewSnapshot:
    """The snapshot row of a successful poll."""
    return {
        "account_id": record.account_id,
        "captured_at": record.started_at,
        "followers": values.followers,
        "following": values.following,
        "posts": values.posts,
        "extra": dict(values.extra) or None,
        "precision": values.precision,
        "source": Source.POLL,
        "quality": record.quality,
    }


def _attempt_row(record: PollRecord) -> dict[str, Any]:
    """The poll_attempt row of any poll."""
    return {
        "account_id": record.account_id,
        "started_at": record.started_at,
        "duration_ms": record.duration_ms,
        "outcome": record.outcome,
        "http_status": record.http_status,
        "message": record.message[:500] if record.message else None,
    }


# An account's stable id and name; a name the platform did not report (None) keeps the stored one.
IDENTITY_UPDATE = (
    update(ACCOUNT)
    .where(ACCOUNT.c.id == bindparam("b_id"))
    .values(
        platform_id=bindparam("b_platform_id"),
        display_name=func.coalesce(bindparam("b_name"), ACCOUNT.c.display_name),
    )
)


def _record_identities(connection: Connection, found: Mapping[int, SnapshotValues]) -> None:
    """Store stable ids and names (one read per chunk); a renamed handle takes over old history."""
    changes = []
    unnamed: dict[tuple[str, str], int] = {}
    for chunk in chunks(sorted(found)):
        rows = connection.execute(
            select(
                ACCOUNT.c.id, ACCOUNT.c.platform, ACCOUNT.c.platform_id, ACCOUNT.c.display_name
            ).where(ACCOUNT.c.id.in_(chunk))
        )
        for row in rows:
            values = found[row.id]
            if row.platform_id == values.platform_id and values.display_name in (
                None,
                row.display_name,
            ):
                continue
            if row.platform_id is None:
                unnamed.setdefault((row.platform, values.platform_id), row.id)
            changes.append(
                {"b_id": row.id, "b_platform_id": values.platform_id, "b_name": values.display_name}
            )
    for old_id, account_id in _adoptable(connection, unnamed).items():
        _adopt_history(connection, account_id, old_id)
    if changes:
        execute_many(connection, IDENTITY_UPDATE, changes)


def _adoptable(connection: Connection, wanted: Mapping[tuple[str, str], int]) -> dict[int, int]:
    """Unscheduled rows with the stable id an account just got: old row id -> account id."""
    found: dict[int, int] = {}
    for chunk in chunks(sorted({platform_id for _, platform_id in wanted})):
        rows = connection.execute(
            select(ACCOUNT.c.id, ACCOUNT.c.platform, ACCOUNT.c.platform_id).where(
                ACCOUNT.c.platform_id.in_(chunk), ACCOUNT.c.next_poll_at.is_(None)
            )
        )
        for row in rows:
            account_id = wanted.get((row.platform, row.platform_id))
            if account_id is not None and account_id != row.id:
                found[row.id] = account_id
    return found


def _adopt_history(connection: Connection, account_id: int, old_id: int) -> None:
    """Move an unscheduled row's snapshots and attempts onto the account, then drop the row."""
    taken = select(SNAPSHOT.c.captured_at).where(SNAPSHOT.c.account_id == account_id)
    connection.execute(
        update(SNAPSHOT)
        .where(SNAPSHOT.c.account_id == old_id, SNAPSHOT.c.captured_at.not_in(taken))
        .values(account_id=account_id)
    )
    connection.execute(
        update(POLL_ATTEMPT)
        .where(POLL_ATTEMPT.c.account_id == old_id)
        .values(account_id=account_id)
    )
    connection.execute(delete(ACCOUNT).where(ACCOUNT.c.id == old_id))
