"""The rate_budget table: sliding windows that several workers draw requests from.

A budget is ``requests`` per ``per_seconds``, counted over a sliding window like each worker's
own gate (bot/http/budget.py): the row logs what was granted and when, and a grant is allowed
while the grants of the last window stay within the budget, so no window of the platform's
length, fixed or sliding and however aligned, sees more. Each grant locks the row
(``SELECT … FOR UPDATE`` on PostgreSQL), so two workers never spend the same request. Grant
instants are rounded up to 1/``SLOTS`` of the window (never earlier: a later instant keeps a
request in the window longer), which bounds the log's length. Times are epoch seconds from the
workers' injected clock, never the database's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, case, select, update

from bot.store.tables import RATE_BUDGET, insert_new

SLOTS = 500
T = RATE_BUDGET.c
Log = list[tuple[float, int]]


@dataclass(frozen=True)
class WindowRow:
    """A grant (``granted`` requests logged at ``at``) and the window's state after it."""

    granted: int
    at: float
    log: Log
    header_left: int | None
    header_reset: float | None


def _slot(now: float, per_seconds: float) -> float:
    """``now`` rounded up to the window's grid."""
    grid = per_seconds / SLOTS
    return math.ceil(round(now / grid, 6)) * grid


def _locked(
    connection: Connection, key: str, requests: int, per_seconds: float, now: float
) -> Row[Any, Any, Any]:
    """The budget's row, created if missing, locked until the transaction ends."""
    connection.execute(
        insert_new(connection.dialect, RATE_BUDGET, unique=["key"]).values(
            key=key,
            requests=requests,
            per_seconds=per_seconds,
            log=[],
            updated_at=datetime.fromtimestamp(now, UTC),
        )
    )
    statement = select(T.log, T.header_left, T.header_reset).where(T.key == key)
    if connection.dialect.name == "postgresql":
        statement = statement.with_for_update()
    return connection.execute(statement).one()


def take(
    connection: Connection,
    key: str,
    *,
    requests: int,
    per_seconds: float,
    want: int,
    least: int,
    now: float,
) -> WindowRow:
    """Grant up to ``want`` requests (none unless ``least`` fit now) and log them."""
    row = _locked(connection, key, requests, per_seconds, now)
    log: Log = [(float(t), int(n)) for t, n in row.log if float(t) > now - per_seconds]
    usable = requests - sum(n for _, n in log)
    live = row.header_reset is not None and row.header_reset > now
    if live and row.header_left is not None:
        usable = min(usable, row.header_left)
    granted = min(want, usable) if usable >= least else 0
    at = _slot(now, per_seconds)
    if granted > 0:
        log = _add(log, at, granted)
    header_left = (row.header_left - granted) if live and row.header_left is not None else None
    connection.execute(
        update(RATE_BUDGET)
        .where(T.key == key)
        .values(
            log=[[t, n] for t, n in log],
            header_left=header_left,
            header_reset=row.header_reset if live else None,
            # The configuration is the workers': the latest one to ask sets the budget.
            requests=requests,
            per_seconds=per_seconds,
            updated_at=datetime.fromtimestamp(now, UTC),
        )
    )
    return WindowRow(granted, at, log, header_left, row.header_reset if live else None)


def _add(log: Log, at: float, count: int) -> Log:
    """``log`` with ``count`` more requests at ``at``, in time order."""
    merged = dict(log)
    merged[at] = merged.get(at, 0) + count
    return sorted(merged.items())


def settle(
    connection: Connection,
    key: str,
    *,
    returned: Log,
    moved: list[tuple[float, float, int]],
    per_seconds: float,
    now: float,
) -> None:
    """Unlog requests granted and never sent; move sent ones from their grant to their start.

    ``returned``: (grant instant, requests); ``moved``: (grant instant, start instant, requests).
    A request leased ahead starts later than its grant: logged at its start, it stays in the
    window as long as the platform counts it.
    """
    statement = select(T.log, T.header_left, T.header_reset).where(T.key == key)
    if connection.dialect.name == "postgresql":
        statement = statement.with_for_update()
    row = connection.execute(statement).one_or_none()
    if row is None:
        return
    counts = {float(t): int(n) for t, n in row.log if float(t) > now - per_seconds}
    given = 0
    for at, count in returned:
        back = min(count, counts.get(at, 0))
        counts[at] = counts.get(at, 0) - back
        given += back
    for at, started, count in moved:
        counts[at] = max(0, counts.get(at, 0) - count)
        slot = _slot(started, per_seconds)
        counts[slot] = counts.get(slot, 0) + count
    log = sorted((t, n) for t, n in counts.items() if n > 0)
    live = row.header_reset is not None and row.header_reset > now
    header_left = row.header_left + given if live and row.header_left is not None else None
    connection.execute(
        update(RATE_BUDGET)
        .where(T.key == key)
        .values(log=[[t, n] for t, n in log], header_left=header_left)
    )


def lower(connection: Connection, key: str, *, left: int, reset: float, now: float) -> None:
    """The platform says ``left`` requests remain until ``reset``: no more are granted till then."""
    live = and_(T.header_reset.is_not(None), T.header_reset > now)
    keep = and_(live, T.header_left <= left, T.header_reset >= reset)
    connection.execute(
        update(RATE_BUDGET)
        .where(T.key == key)
        .values(
            header_left=case((keep, T.header_left), else_=left),
            header_reset=case((keep, T.header_reset), else_=reset),
        )
    )


def window(connection: Connection, key: str) -> Log | None:
    """One budget's logged grants as stored (tests read it), or None."""
    stored = connection.execute(select(T.log).where(T.key == key)).scalar_one_or_none()
    return None if stored is None else [(float(t), int(n)) for t, n in stored]
