"""Read queries over poll attempts (written with the snapshots by ``bot.store.writes``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, select

from bot.store.tables import ACCOUNT, POLL_ATTEMPT, id_pieces


@dataclass(frozen=True)
class Attempt:
    """An account's latest poll attempt."""

    started_at: datetime
    outcome: str  # a ``PollOutcome`` value
    message: str | None


def last_attempts(
    connection: Connection, account_ids: Sequence[int], *, at: datetime
) -> dict[int, Attempt]:
    """Each account's newest poll attempt started at or before ``at`` (one index seek each)."""
    seek = (
        select(POLL_ATTEMPT.c.id)
        .where(and_(POLL_ATTEMPT.c.account_id == ACCOUNT.c.id, POLL_ATTEMPT.c.started_at <= at))
        .order_by(POLL_ATTEMPT.c.started_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    found: dict[int, Attempt] = {}
    for piece in id_pieces(connection.dialect, ACCOUNT.c.id, account_ids):
        picked = select(seek.label("attempt_id")).where(piece).subquery()
        statement = select(POLL_ATTEMPT).where(POLL_ATTEMPT.c.id.in_(select(picked.c.attempt_id)))
        for row in connection.execute(statement).all():
            found[row.account_id] = Attempt(row.started_at, row.outcome, row.message)
    return found
