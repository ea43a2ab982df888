"""The alert and alert_delivery tables: opening and resolving alerts once, claiming notices.

One open alert per rule and subject: ``open_key`` is unique and set only while the alert is open
(a milestone keeps it, so it is never raised twice), so two workers evaluating the same store
insert it once (``INSERT … ON CONFLICT DO NOTHING``) and resolve it once (a conditional UPDATE).
A notice to a channel is claimed like a digest (bot/store/digests.py): ``sending`` with a lease,
then ``sent``, ``failed`` (retried) or ``disabled`` (a permanent failure).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, or_, select, update

from bot.kinds import DeliveryStatus, PollOutcome, Quality
from bot.store.digests import FINAL_STATUSES, Claim
from bot.store.models import Alert
from bot.store.tables import (
    ACCOUNT,
    ALERT,
    ALERT_DELIVERY,
    POLL_ATTEMPT,
    SNAPSHOT,
    chunks,
    insert_new,
)

_TEXT_MAX = 500
GOOD = (Quality.OK, Quality.CONFIRMED_DROP)


@dataclass(frozen=True)
class NewAlert:
    """An alert to open (``resolved_at`` set: a one-off event such as a milestone)."""

    kind: str
    subject: str
    open_key: str
    message: str
    opened_at: datetime
    account_id: int | None = None
    platform: str | None = None
    detail: dict[str, Any] | None = None
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class ListedAlert:
    """An alert with its account's identity, as ``bot alerts`` lists it."""

    alert: Alert
    handle: str | None
    label: str | None


def open_alerts(connection: Connection) -> list[Alert]:
    """Every alert not resolved yet."""
    statement = select(ALERT).where(ALERT.c.resolved_at.is_(None)).order_by(ALERT.c.id)
    return [Alert.model_validate(dict(r)) for r in connection.execute(statement).mappings()]


def open_alert(engine: Engine, new: NewAlert) -> int | None:
    """Insert the alert; its id, or None when its key is taken (open already, or a milestone)."""
    values = {
        "kind": new.kind,
        "subject": new.subject,
        "account_id": new.account_id,
        "platform": new.platform,
        "opened_at": new.opened_at,
        "resolved_at": new.resolved_at,
        "open_key": new.open_key,
        "message": new.message[:_TEXT_MAX],
        "detail": new.detail,
    }
    insert = insert_new(engine.dialect, ALERT, unique=["open_key"])
    with engine.begin() as connection:
        row = connection.execute(insert.values(values).returning(ALERT.c.id)).first()
    return None if row is None else int(row.id)


def resolve_alert(engine: Engine, alert_id: int, *, now: datetime, message: str | None) -> bool:
    """Resolve an open alert (``message`` None: quietly); False when another worker did."""
    statement = (
        update(ALERT)
        .where(ALERT.c.id == alert_id, ALERT.c.resolved_at.is_(None))
        .values(
            resolved_at=now,
            open_key=None,
            resolve_message=message[:_TEXT_MAX] if message else None,
        )
    )
    with engine.begin() as connection:
        return connection.execute(statement).rowcount == 1


def recent_alerts(connection: Connection, since: datetime) -> list[Alert]:
    """Alerts opened or resolved at or after ``since``: the ones whose notices may be pending."""
    statement = (
        select(ALERT)
        .where(or_(ALERT.c.opened_at >= since, ALERT.c.resolved_at >= since))
        .order_by(ALERT.c.id)
    )
    return [Alert.model_validate(dict(r)) for r in connection.execute(statement).mappings()]


def delivery_statuses(
    connection: Connection, alert_ids: Sequence[int]
) -> dict[tuple[int, str, str], str]:
    """Each stored notice's status by (alert id, phase, channel)."""
    found: dict[tuple[int, str, str], str] = {}
    for chunk in chunks(alert_ids):
        statement = select(
            ALERT_DELIVERY.c.alert_id,
            ALERT_DELIVERY.c.phase,
            ALERT_DELIVERY.c.channel,
            ALERT_DELIVERY.c.status,
        ).where(ALERT_DELIVERY.c.alert_id.in_(chunk))
        for row in connection.execute(statement):
            found[(row.alert_id, row.phase, row.channel)] = row.status
    return found


def claim_delivery(
    engine: Engine, *, alert_id: int, phase: str, channel: str, now: datetime, lease: timedelta
) -> Claim | None:
    """Take one notice if it is new, failed or abandoned by a dead worker; else None."""
    values = {
        "alert_id": alert_id,
        "phase": phase,
        "channel": channel,
        "status": DeliveryStatus.SENDING,
        "attempts": 1,
        "sent_at": now,
    }
    insert = insert_new(engine.dialect, ALERT_DELIVERY, unique=["alert_id", "phase", "channel"])
    retake = (
        update(ALERT_DELIVERY)
        .where(
            ALERT_DELIVERY.c.alert_id == alert_id,
            ALERT_DELIVERY.c.phase == phase,
            ALERT_DELIVERY.c.channel == channel,
            or_(
                ALERT_DELIVERY.c.status == DeliveryStatus.FAILED,
                and_(
                    ALERT_DELIVERY.c.status == DeliveryStatus.SENDING,
                    ALERT_DELIVERY.c.sent_at <= now - lease,
                ),
            ),
        )
        .values(status=DeliveryStatus.SENDING, sent_at=now, attempts=ALERT_DELIVERY.c.attempts + 1)
        .returning(ALERT_DELIVERY.c.id, ALERT_DELIVERY.c.attempts)
    )
    with engine.begin() as connection:
        row = connection.execute(
            insert.values(values).returning(ALERT_DELIVERY.c.id, ALERT_DELIVERY.c.attempts)
        ).first()
        if row is None:
            row = connection.execute(retake).first()
    return None if row is None else Claim(run_id=row.id, claimed_at=now, attempts=row.attempts)


def finish_delivery(
    engine: Engine, held: Claim, *, status: DeliveryStatus, now: datetime, error: str | None
) -> bool:
    """Record a notice's outcome; False when the claim had expired and was taken over."""
    if status not in FINAL_STATUSES:
        raise ValueError(f"unknown alert_delivery status {status!r}")
    statement = (
        update(ALERT_DELIVERY)
        .where(
            ALERT_DELIVERY.c.id == held.run_id,
            ALERT_DELIVERY.c.status == DeliveryStatus.SENDING,
            ALERT_DELIVERY.c.sent_at == held.claimed_at,
        )
        .values(
            status=status,
            sent_at=now if status == DeliveryStatus.SENT else None,
            last_error=error[:_TEXT_MAX] if error else None,
        )
    )
    with engine.begin() as connection:
        return connection.execute(statement).rowcount == 1


def listed_alerts(
    connection: Connection, *, open_only: bool, since: datetime | None
) -> list[ListedAlert]:
    """Alerts newest first: the open ones, or those open or resolved since ``since`` (None: all)."""
    statement = (
        select(ALERT, ACCOUNT.c.handle, ACCOUNT.c.label)
        .outerjoin(ACCOUNT, ACCOUNT.c.id == ALERT.c.account_id)
        .order_by(ALERT.c.opened_at.desc(), ALERT.c.id.desc())
    )
    if open_only:
        statement = statement.where(ALERT.c.resolved_at.is_(None))
    elif since is not None:
        statement = statement.where(
            or_(
                ALERT.c.resolved_at.is_(None),
                ALERT.c.opened_at >= since,
                ALERT.c.resolved_at >= since,
            )
        )
    listed = []
    for row in connection.execute(statement).mappings():
        values = {c.name: row[c] for c in ALERT.c}
        listed.append(ListedAlert(Alert.model_validate(values), row["handle"], row["label"]))
    return listed


def last_successes(connection: Connection, account_ids: Sequence[int]) -> dict[int, datetime]:
    """Each account's newest successful poll (an index seek back from its newest attempt).

    A poll that read a count the quality gate holds as suspect answered: it is a success here.
    """
    seek = (
        select(POLL_ATTEMPT.c.started_at)
        .where(
            POLL_ATTEMPT.c.account_id == ACCOUNT.c.id,
            POLL_ATTEMPT.c.outcome.in_((PollOutcome.OK, PollOutcome.SUSPECT)),
        )
        .order_by(POLL_ATTEMPT.c.started_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    found: dict[int, datetime] = {}
    for chunk in chunks(account_ids):
        statement = select(ACCOUNT.c.id, seek.label("at")).where(ACCOUNT.c.id.in_(chunk))
        for row in connection.execute(statement):
            if row.at is not None:
                found[row.id] = row.at
    return found


def good_followers_since(
    connection: Connection, account_ids: Sequence[int], since: datetime
) -> dict[int, list[tuple[datetime, int]]]:
    """Each account's good follower counts (ok, confirmed_drop) since ``since``, oldest first."""
    found: dict[int, list[tuple[datetime, int]]] = {}
    for chunk in chunks(account_ids):
        statement = (
            select(SNAPSHOT.c.account_id, SNAPSHOT.c.captured_at, SNAPSHOT.c.followers)
            .where(
                SNAPSHOT.c.account_id.in_(chunk),
                SNAPSHOT.c.captured_at >= since,
                SNAPSHOT.c.quality.in_(GOOD),
                SNAPSHOT.c.followers.is_not(None),
            )
            .order_by(SNAPSHOT.c.account_id, SNAPSHOT.c.captured_at)
        )
        for row in connection.execute(statement):
            found.setdefault(row.account_id, []).append((row.captured_at, row.followers))
    return found


def highest_before(connection: Connection, account_id: int, before: datetime) -> int | None:
    """The account's highest good follower count captured before ``before``."""
    statement = select(func.max(SNAPSHOT.c.followers)).where(
        SNAPSHOT.c.account_id == account_id,
        SNAPSHOT.c.captured_at < before,
        SNAPSHOT.c.quality.in_(GOOD),
    )
    value = connection.execute(statement).scalar_one_or_none()
    return None if value is None else int(value)
