"""The platform_state table: each worker's view of its platforms, read by ``bot status``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from bot.kinds import GateState
from bot.store.models import PlatformState
from bot.store.tables import PLATFORM_STATE, insert_new


@dataclass(frozen=True)
class PlatformStateRow:
    """One platform's state as a worker saw it, to be merged into ``platform_state``."""

    state: GateState
    until: datetime | None
    consecutive_failures: int
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_error: str | None


def save_states(
    connection: Connection,
    *,
    states: Mapping[str, PlatformStateRow],
    counted: Mapping[str, tuple[int, int]],
    now: datetime,
    redact: Callable[[str], str],
) -> None:
    """Upsert each platform's state; request and 429 counts are added (several workers)."""
    insert = insert_new(connection.dialect, PLATFORM_STATE, unique=["platform"])
    for platform, seen in states.items():
        requests, limited = counted.get(platform, (0, 0))
        values = {
            "state": seen.state,
            "until": seen.until,
            "consecutive_failures": seen.consecutive_failures,
            "last_error": redact(seen.last_error)[:500] if seen.last_error else None,
            "updated_at": now,
        }
        statement = insert.values(
            platform=platform,
            requests=0,
            rate_limited=0,
            last_success_at=seen.last_success_at,
            last_failure_at=seen.last_failure_at,
            **values,
        )
        connection.execute(statement)
        connection.execute(
            update(PLATFORM_STATE)
            .where(PLATFORM_STATE.c.platform == platform)
            .values(
                requests=PLATFORM_STATE.c.requests + requests,
                rate_limited=PLATFORM_STATE.c.rate_limited + limited,
                **values,
            )
        )
        for column, value in (
            ("last_success_at", seen.last_success_at),
            ("last_failure_at", seen.last_failure_at),
        ):
            if value is not None:
                # Keep the latest instant any worker saw.
                stored = PLATFORM_STATE.c[column]
                connection.execute(
                    update(PLATFORM_STATE)
                    .where(PLATFORM_STATE.c.platform == platform)
                    .where(stored.is_(None) | (stored < value))
                    .values({column: value})
                )


def shared_pauses(connection: Connection, now: datetime) -> dict[str, datetime]:
    """Platforms another worker found rate limited, and until when."""
    rows = connection.execute(
        select(PLATFORM_STATE.c.platform, PLATFORM_STATE.c.until).where(
            PLATFORM_STATE.c.state == GateState.RATE_LIMITED, PLATFORM_STATE.c.until > now
        )
    )
    return {row.platform: row.until for row in rows}


def platform_states(connection: Connection) -> list[PlatformState]:
    """Every stored platform state, by name."""
    statement = select(PLATFORM_STATE).order_by(PLATFORM_STATE.c.platform)
    rows = connection.execute(statement).mappings().all()
    return [PlatformState.model_validate(dict(row)) for row in rows]
