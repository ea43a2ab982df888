"""digest_run: claiming one (date, channel) delivery, so it happens once across workers.

A row's ``status`` is ``sending`` (claimed by a worker), ``sent``, ``failed`` (retried by the next
claim), ``unknown`` (the request went out but no answer came: retried only once ``unknown_wait``
has passed, so a slow receiver that did get it is not sent a duplicate at once) or ``disabled``
(a permanent failure; only a forced claim takes it again). While a row is ``sending`` or
``unknown``, ``sent_at`` holds the instant of the attempt: a claim older than the lease belongs
to a worker that died, and any worker may take it over. ``attempts`` counts claims.

The claim is one transaction: ``INSERT … ON CONFLICT DO NOTHING`` on the unique key, else a
conditional ``UPDATE`` of a reclaimable row. On PostgreSQL a concurrent claimer waits for the
first one's row lock and then sees ``sending``; on SQLite the database write lock serialises them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.sql.dml import ReturningInsert

from bot.kinds import DeliveryStatus
from bot.store.models import DigestRun
from bot.store.tables import DIGEST_RUN, insert_new

_ERROR_MAX = 500
# The statuses a claim ends with.
FINAL_STATUSES = frozenset(DeliveryStatus) - {DeliveryStatus.SENDING}


@dataclass(frozen=True)
class Claim:
    """A worker's hold on one (date, channel) row until it records the outcome."""

    run_id: int
    claimed_at: datetime
    attempts: int


def claim(
    engine: Engine,
    *,
    day: date,
    channel: str,
    now: datetime,
    lease: timedelta,
    force: bool = False,
    unknown_wait: timedelta | None = None,
) -> Claim | None:
    """Take the (day, channel) delivery if it is new, failed, abandoned or ``force``d; else None.

    An ``unknown`` one is taken once ``unknown_wait`` (default: ``lease``) has passed since.
    """
    insert = _insert_new(engine, day=day, channel=channel, now=now)
    wait = lease if unknown_wait is None else unknown_wait
    reclaimable = [
        DIGEST_RUN.c.status == DeliveryStatus.FAILED,
        and_(DIGEST_RUN.c.status == DeliveryStatus.SENDING, DIGEST_RUN.c.sent_at <= now - lease),
        and_(DIGEST_RUN.c.status == DeliveryStatus.UNKNOWN, DIGEST_RUN.c.sent_at <= now - wait),
    ]
    if force:
        done = (DeliveryStatus.SENT, DeliveryStatus.DISABLED, DeliveryStatus.UNKNOWN)
        reclaimable.append(DIGEST_RUN.c.status.in_(done))
    retake = (
        update(DIGEST_RUN)
        .where(DIGEST_RUN.c.digest_date == day, DIGEST_RUN.c.channel == channel, or_(*reclaimable))
        .values(status=DeliveryStatus.SENDING, sent_at=now, attempts=DIGEST_RUN.c.attempts + 1)
        .returning(DIGEST_RUN.c.id, DIGEST_RUN.c.attempts)
    )
    with engine.begin() as connection:
        row = connection.execute(insert).first()
        if row is None:
            row = connection.execute(retake).first()
    return None if row is None else Claim(run_id=row.id, claimed_at=now, attempts=row.attempts)


def finish(
    engine: Engine,
    held: Claim,
    *,
    status: DeliveryStatus,
    now: datetime,
    error: str | None = None,
) -> bool:
    """Record the outcome of a claim; False when the claim had expired and was taken over."""
    if status not in FINAL_STATUSES:
        raise ValueError(f"unknown digest_run status {status!r}")
    statement = (
        update(DIGEST_RUN)
        .where(
            DIGEST_RUN.c.id == held.run_id,
            DIGEST_RUN.c.status == DeliveryStatus.SENDING,
            DIGEST_RUN.c.sent_at == held.claimed_at,
        )
        .values(
            status=status,
            # unknown: when it may have been sent, which the retry waits from.
            sent_at=now if status in (DeliveryStatus.SENT, DeliveryStatus.UNKNOWN) else None,
            last_error=error[:_ERROR_MAX] if error else None,
        )
    )
    with engine.begin() as connection:
        return connection.execute(statement).rowcount == 1


def get_run(engine: Engine, *, day: date, channel: str) -> DigestRun | None:
    """The row of one (day, channel), if any."""
    statement = select(DIGEST_RUN).where(
        DIGEST_RUN.c.digest_date == day, DIGEST_RUN.c.channel == channel
    )
    with engine.connect() as connection:
        row = connection.execute(statement).mappings().first()
    return None if row is None else DigestRun.model_validate(dict(row))


def runs_on(engine: Engine, day: date) -> list[DigestRun]:
    """Every channel's row for one day, by channel name."""
    statement = (
        select(DIGEST_RUN).where(DIGEST_RUN.c.digest_date == day).order_by(DIGEST_RUN.c.channel)
    )
    with engine.connect() as connection:
        rows = connection.execute(statement).mappings().all()
    return [DigestRun.model_validate(dict(row)) for row in rows]


def recent_runs(engine: Engine, limit: int = 200) -> list[DigestRun]:
    """The newest ``limit`` rows, newest day first (the dashboard's archive)."""
    statement = (
        select(DIGEST_RUN)
        .order_by(DIGEST_RUN.c.digest_date.desc(), DIGEST_RUN.c.channel)
        .limit(limit)
    )
    with engine.connect() as connection:
        rows = connection.execute(statement).mappings().all()
    return [DigestRun.model_validate(dict(row)) for row in rows]


def _insert_new(engine: Engine, *, day: date, channel: str, now: datetime) -> ReturningInsert[Any]:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING``: a new row claimed at ``now``, or nothing."""
    values = {
        "digest_date": day,
        "channel": channel,
        "status": DeliveryStatus.SENDING,
        "attempts": 1,
        "sent_at": now,
    }
    insert = insert_new(engine.dialect, DIGEST_RUN, unique=["digest_date", "channel"])
    return insert.values(values).returning(DIGEST_RUN.c.id, DIGEST_RUN.c.attempts)
