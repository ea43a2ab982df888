"""The platform_state table: each worker's view of its platforms, read by ``bot status``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.http.budget import GateView
from bot.store.models import PlatformState

_STATE = PlatformState.__table__  # type: ignore[attr-defined]


def save_views(
    connection: Connection,
    views: Mapping[str, GateView],
    counted: Mapping[str, tuple[int, int]],
    now: datetime,
    redact: Callable[[str], str],
) -> None:
    """Upsert each platform's state; request and 429 counts are added (several workers)."""
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    for platform, view in views.items():
        requests, limited = counted.get(platform, (0, 0))
        values = {
            "state": view.state,
            "until": view.until,
            "consecutive_failures": view.consecutive_failures,
            "last_error": redact(view.last_error)[:500] if view.last_error else None,
            "updated_at": now,
        }
        statement = insert(_STATE).values(
            platform=platform,
            requests=0,
            rate_limited=0,
            last_success_at=view.last_success_at,
            last_failure_at=view.last_failure_at,
            **values,
        )
        connection.execute(statement.on_conflict_do_nothing(index_elements=["platform"]))
        connection.execute(
            update(_STATE)
            .where(_STATE.c.platform == platform)
            .values(
                requests=_STATE.c.requests + requests,
                rate_limited=_STATE.c.rate_limited + limited,
                **values,
            )
        )
        for column, value in (
            ("last_success_at", view.last_success_at),
            ("last_failure_at", view.last_failure_at),
        ):
            if value is not None:
                # Keep the latest instant any worker saw.
                connection.execute(
                    update(_STATE)
                    .where(_STATE.c.platform == platform)
                    .where((_STATE.c[column].is_(None)) | (_STATE.c[column] < value))
                    .values({column: value})
                )


def shared_pauses(connection: Connection, now: datetime) -> dict[str, datetime]:
    """Platforms another worker found rate limited, and until when."""
    rows = connection.execute(
        select(_STATE.c.platform, _STATE.c.until).where(
            _STATE.c.state == "rate_limited", _STATE.c.until > now
        )
    )
    return {row.platform: row.until for row in rows}


def platform_states(connection: Connection) -> list[PlatformState]:
    """Every stored platform state, by name."""
    rows = connection.execute(select(_STATE).order_by(_STATE.c.platform)).mappings().all()
    return [PlatformState.model_validate(dict(row)) for row in rows]
