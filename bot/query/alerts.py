"""The stored alerts as typed rows: ``bot alerts`` and any other face (the dashboard) list these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Engine

from bot.kinds import AlertKind
from bot.output.tables import Column
from bot.store.alerts import listed_alerts

Which = Literal["recent", "open", "all"]
# What ``bot alerts`` shows without --open or --all: open alerts and those of the last week.
RECENT = timedelta(days=7)
ALERT_COLUMNS = (
    Column("id", "Id", numeric=True),
    Column("kind", "Kind"),
    Column("state", "State"),
    Column("platform", "Platform"),
    Column("handle", "Handle"),
    Column("label", "Label"),
    Column("opened_at", "Opened (UTC)"),
    Column("resolved_at", "Resolved (UTC)"),
    Column("message", "Message"),
    Column("resolve_message", "Resolution"),
)


@dataclass(frozen=True)
class AlertRow:
    """One alert: ``state`` is open, resolved, or event (a milestone: sent once, never open)."""

    id: int
    kind: str  # an ``AlertKind`` value
    state: Literal["open", "resolved", "event"]
    platform: str | None
    handle: str | None
    label: str | None
    opened_at: datetime
    resolved_at: datetime | None
    message: str
    resolve_message: str | None

    def to_json(self) -> dict[str, Any]:
        """The row as ``bot alerts --format json`` prints it (instants stay datetimes)."""
        return dict(self.__dict__)


def alert_rows(engine: Engine, *, which: Which = "recent", now: datetime) -> list[AlertRow]:
    """Alerts newest first: open and recent ones (``recent``), ``open`` ones, or ``all``."""
    since = now - RECENT if which == "recent" else None
    with engine.connect() as connection:
        listed = listed_alerts(connection, open_only=which == "open", since=since)
    rows = []
    for item in listed:
        alert = item.alert
        assert alert.id is not None
        state: Literal["open", "resolved", "event"] = (
            "event"
            if alert.kind == AlertKind.MILESTONE
            else "open"
            if alert.resolved_at is None
            else "resolved"
        )
        rows.append(
            AlertRow(
                id=alert.id,
                kind=alert.kind,
                state=state,
                platform=alert.platform,
                handle=item.handle,
                label=item.label,
                opened_at=alert.opened_at,
                resolved_at=alert.resolved_at if state != "event" else None,
                message=alert.message,
                resolve_message=alert.resolve_message,
            )
        )
    return rows
