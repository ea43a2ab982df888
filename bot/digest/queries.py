"""The two reads the digest needs beyond bot.store.history: a window of snapshots, last attempts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, select

from bot.store.history import SnapshotRow
from bot.store.models import Account, PollAttempt, Snapshot

_SNAPSHOT = Snapshot.__table__  # type: ignore[attr-defined]
_ACCOUNT = Account.__table__  # type: ignore[attr-defined]
_ATTEMPT = PollAttempt.__table__  # type: ignore[attr-defined]
_CHUNK = 500


@dataclass(frozen=True)
class Attempt:
    """An account's latest poll attempt."""

    started_at: datetime
    outcome: str
    message: str | None


def snapshots_between(
    connection: Connection, account_ids: Sequence[int], *, since: datetime, until: datetime
) -> dict[int, list[SnapshotRow]]:
    """Every snapshot (any quality) of these accounts in [since, until], in time order."""
    found: dict[int, list[SnapshotRow]] = {i: [] for i in account_ids}
    for start in range(0, len(account_ids), _CHUNK):
        chunk = account_ids[start : start + _CHUNK]
        statement = (
            select(_SNAPSHOT)
            .where(
                _SNAPSHOT.c.account_id.in_(chunk),
                _SNAPSHOT.c.captured_at >= since,
                _SNAPSHOT.c.captured_at <= until,
            )
            .order_by(_SNAPSHOT.c.account_id, _SNAPSHOT.c.captured_at)
        )
        for row in connection.execute(statement):
            found[row.account_id].append(
                SnapshotRow(
                    captured_at=row.captured_at,
                    followers=row.followers,
                    following=row.following,
                    posts=row.posts,
                    precision=row.precision,
                    source=row.source,
                    quality=row.quality,
                )
            )
    return found


def last_attempts(
    connection: Connection, account_ids: Sequence[int], *, at: datetime
) -> dict[int, Attempt]:
    """Each account's newest poll attempt started at or before ``at`` (one index seek each)."""
    seek = (
        select(_ATTEMPT.c.id)
        .where(and_(_ATTEMPT.c.account_id == _ACCOUNT.c.id, _ATTEMPT.c.started_at <= at))
        .order_by(_ATTEMPT.c.started_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    found: dict[int, Attempt] = {}
    for start in range(0, len(account_ids), _CHUNK):
        chunk = account_ids[start : start + _CHUNK]
        picked = select(seek.label("attempt_id")).where(_ACCOUNT.c.id.in_(chunk)).subquery()
        statement = select(_ATTEMPT).where(_ATTEMPT.c.id.in_(select(picked.c.attempt_id)))
        for row in connection.execute(statement):
            found[row.account_id] = Attempt(row.started_at, row.outcome, row.message)
    return found
