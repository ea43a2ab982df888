"""Bulk writes: snapshots and poll attempts in one transaction per poll cycle or batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.platforms.base import Observation
from bot.store.models import Account, PollAttempt, Snapshot

_SNAPSHOT = Snapshot.__table__  # type: ignore[attr-defined]
_ACCOUNT = Account.__table__  # type: ignore[attr-defined]
_ATTEMPT = PollAttempt.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class PollRecord:
    """What one poll of one account produced, ready to be written."""

    account_id: int
    started_at: datetime
    duration_ms: int
    outcome: str
    status: str
    next_poll_at: datetime | None
    observation: Observation | None = None
    http_status: int | None = None
    message: str | None = None
    quality: str = "ok"
    # False when the account already has this stable id and display name: nothing to update.
    identity_changed: bool = True
    # The suspect snapshot this poll confirmed as a real drop (its capture time).
    confirmed_drop_at: datetime | None = None


def insert_snapshots(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert snapshots in bulk; an existing (account, instant) is left alone."""
    if not rows:
        return
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(_SNAPSHOT).on_conflict_do_nothing(
        index_elements=["account_id", "captured_at"]
    )
    connection.execute(statement, list(rows))


def count_snapshots(connection: Connection, account_ids: Sequence[int]) -> int:
    """How many snapshots these accounts have (an index-only count)."""
    total = 0
    for start in range(0, len(account_ids), 500):
        chunk = account_ids[start : start + 500]
        total += connection.execute(
            select(func.count()).select_from(_SNAPSHOT).where(_SNAPSHOT.c.account_id.in_(chunk))
        ).scalar_one()
    return total


def save_poll_records(connection: Connection, records: Sequence[PollRecord]) -> None:
    """Write one cycle: snapshots, attempts and account updates, in the caller's transaction."""
    if not records:
        return
    snapshots = [_snapshot_row(r) for r in records if r.observation is not None]
    if snapshots:
        insert_snapshots(connection, snapshots)
    connection.execute(_ATTEMPT.insert(), [_attempt_row(r) for r in records])
    connection.execute(
        update(_ACCOUNT)
        .where(_ACCOUNT.c.id == bindparam("b_id"))
        .values(
            status=bindparam("b_status"),
            next_poll_at=bindparam("b_next"),
            last_polled_at=bindparam("b_polled"),
            last_error=bindparam("b_error"),
            lease_owner=None,
            lease_until=None,
        ),
        [
            {
                "b_id": r.account_id,
                "b_status": r.status,
                "b_next": r.next_poll_at,
                "b_polled": r.started_at,
                "b_error": None if r.outcome == "ok" else r.message,
            }
            for r in records
        ],
    )
    for record in records:
        if record.observation is not None and record.identity_changed:
            _record_identity(connection, record.account_id, record.observation)
    confirmed = [r for r in records if r.confirmed_drop_at is not None]
    if confirmed:
        connection.execute(
            update(_SNAPSHOT)
            .where(
                _SNAPSHOT.c.account_id == bindparam("b_id"),
                _SNAPSHOT.c.captured_at == bindparam("b_at"),
                _SNAPSHOT.c.quality == "suspect",
            )
            .values(quality="confirmed_drop"),
            [{"b_id": r.account_id, "b_at": r.confirmed_drop_at} for r in confirmed],
        )


def defer_accounts(connection: Connection, due: Mapping[int, datetime]) -> None:
    """Accounts claimed but not polled (budget spent, breaker open): due again at ``due``."""
    if not due:
        return
    connection.execute(
        update(_ACCOUNT)
        .where(_ACCOUNT.c.id == bindparam("b_id"))
        .values(next_poll_at=bindparam("b_next"), lease_owner=None, lease_until=None),
        [{"b_id": account_id, "b_next": when} for account_id, when in due.items()],
    )


def _snapshot_row(record: PollRecord) -> dict[str, Any]:
    """The snapshot row of a successful poll."""
    obs = record.observation
    assert obs is not None
    return {
        "account_id": record.account_id,
        "captured_at": record.started_at,
        "followers": obs.followers,
        "following": obs.following,
        "posts": obs.posts,
        "extra": dict(obs.extra) or None,
        "precision": obs.precision,
        "source": "poll",
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


def _record_identity(connection: Connection, account_id: int, obs: Observation) -> None:
    """Store the stable id; a renamed handle takes over the history of its old row."""
    row = connection.execute(
        select(_ACCOUNT.c.platform, _ACCOUNT.c.platform_id, _ACCOUNT.c.display_name).where(
            _ACCOUNT.c.id == account_id
        )
    ).one()
    if row.platform_id == obs.platform_id and obs.display_name in (None, row.display_name):
        return
    if row.platform_id is None:
        _adopt_history(connection, account_id, row.platform, obs.platform_id)
    values = {"platform_id": obs.platform_id}
    if obs.display_name is not None:
        values["display_name"] = obs.display_name
    connection.execute(update(_ACCOUNT).where(_ACCOUNT.c.id == account_id).values(**values))


def _adopt_history(
    connection: Connection, account_id: int, platform: str, platform_id: str
) -> None:
    """Move an unscheduled row's snapshots with the same stable id onto this account."""
    old_ids = (
        connection.execute(
            select(_ACCOUNT.c.id).where(
                _ACCOUNT.c.platform == platform,
                _ACCOUNT.c.platform_id == platform_id,
                _ACCOUNT.c.id != account_id,
                _ACCOUNT.c.next_poll_at.is_(None),
            )
        )
        .scalars()
        .all()
    )
    for old_id in old_ids:
        taken = select(_SNAPSHOT.c.captured_at).where(_SNAPSHOT.c.account_id == account_id)
        connection.execute(
            update(_SNAPSHOT)
            .where(_SNAPSHOT.c.account_id == old_id, _SNAPSHOT.c.captured_at.not_in(taken))
            .values(account_id=account_id)
        )
        connection.execute(
            update(_ATTEMPT).where(_ATTEMPT.c.account_id == old_id).values(account_id=account_id)
        )
        connection.execute(delete(_ACCOUNT).where(_ACCOUNT.c.id == old_id))
