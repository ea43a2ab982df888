"""Accounts managed from the command line: add, remove, pause, resume, and bulk import.

Set-based like ``bot.store.declared``: rows are read as Core tuples and written in chunks, never
an ORM object per account. The rules (which account may be removed, what a duplicate is) are
the caller's (``bot.query.managed``); these functions only read and write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, or_, select, update

from bot.config import AccountSettings
from bot.kinds import AccountOrigin, AccountStatus
from bot.store.tables import ACCOUNT, chunks, insert_new


@dataclass(frozen=True)
class Row:
    """What the rules need of a stored account."""

    id: int
    platform: str
    handle: str
    origin: str | None
    status: str

    @property
    def declared(self) -> bool:
        """Whether the config file declares it (and it is not retired)."""
        return self.origin == AccountOrigin.CONFIG and self.status != AccountStatus.REMOVED


_COLUMNS = (ACCOUNT.c.id, ACCOUNT.c.platform, ACCOUNT.c.handle, ACCOUNT.c.origin, ACCOUNT.c.status)


def find_row(connection: Connection, platform: str, handle: str, any_case: bool) -> Row | None:
    """The account spelt ``handle``, else (``any_case``) the first stored in another case."""
    same = ACCOUNT.c.handle == handle
    if any_case:
        # Equality on lower(): ``%`` and ``_`` in a handle are characters, never wildcards.
        same = or_(same, func.lower(ACCOUNT.c.handle) == handle.lower())
    rows = connection.execute(
        select(*_COLUMNS).where(ACCOUNT.c.platform == platform, same).order_by(ACCOUNT.c.id)
    ).all()
    exact = [r for r in rows if r.handle == handle]
    chosen = exact[0] if exact else rows[0] if rows else None
    return None if chosen is None else Row(*chosen)


def every_row(connection: Connection) -> list[Row]:
    """Every stored account, by id (the identity checks of a bulk import)."""
    return [Row(*r) for r in connection.execute(select(*_COLUMNS).order_by(ACCOUNT.c.id))]


def _values(entry: AccountSettings) -> dict[str, object]:
    """The columns an account's declaration sets."""
    seconds = int(entry.interval.total_seconds()) if entry.interval is not None else None
    return {"label": entry.label, "groups": list(entry.groups), "interval_seconds": seconds}


def insert_accounts(
    connection: Connection, entries: Sequence[AccountSettings], origin: AccountOrigin, now: datetime
) -> None:
    """New accounts, scheduled now (one already stored by then is left as it is)."""
    statement = insert_new(connection.dialect, ACCOUNT, unique=["platform", "handle"])
    for chunk in chunks(entries, 1000):
        rows = [
            {
                "platform": e.platform,
                "handle": e.handle,
                **_values(e),
                "origin": origin,
                "status": AccountStatus.ACTIVE,
                "created_at": now,
                "next_poll_at": now,
            }
            for e in chunk
        ]
        connection.execute(statement, rows)


def redeclare(
    connection: Connection,
    pairs: Sequence[tuple[int, AccountSettings]],
    origin: AccountOrigin,
    now: datetime,
) -> None:
    """Existing rows take these declarations and origin; a removed one is live and due again."""
    statement = (
        update(ACCOUNT)
        .where(ACCOUNT.c.id == bindparam("_id"))
        .values(
            label=bindparam("_label"),
            groups=bindparam("_groups", type_=ACCOUNT.c.groups.type),
            interval_seconds=bindparam("_seconds"),
            origin=origin,
            # Paused stays paused (``bot accounts resume``); removed is live again.
            status=func.coalesce(
                func.nullif(ACCOUNT.c.status, AccountStatus.REMOVED), AccountStatus.ACTIVE
            ),
            next_poll_at=func.coalesce(ACCOUNT.c.next_poll_at, now),
        )
    )
    for chunk in chunks(pairs, 1000):
        values = [_bound(account_id, entry) for account_id, entry in chunk]
        connection.execute(statement, values)


def _bound(account_id: int, entry: AccountSettings) -> dict[str, object]:
    """The parameters of ``redeclare`` for one row."""
    values = _values(entry)
    return {
        "_id": account_id,
        "_label": values["label"],
        "_groups": values["groups"],
        "_seconds": values["interval_seconds"],
    }


def retire(connection: Connection, account_id: int) -> None:
    """Unschedule an account: ``removed``, its history kept, listed only with ``--all``."""
    connection.execute(
        update(ACCOUNT)
        .where(ACCOUNT.c.id == account_id)
        .values(status=AccountStatus.REMOVED, next_poll_at=None)
    )


def pause(connection: Connection, account_id: int) -> None:
    """Stop polling an account until it is resumed; it keeps its place in listings."""
    connection.execute(
        update(ACCOUNT).where(ACCOUNT.c.id == account_id).values(status=AccountStatus.PAUSED)
    )


def resume(connection: Connection, account_id: int, now: datetime) -> None:
    """Poll a paused account again: due when it was (at once if that has passed)."""
    connection.execute(
        update(ACCOUNT)
        .where(ACCOUNT.c.id == account_id, ACCOUNT.c.status == AccountStatus.PAUSED)
        .values(
            status=AccountStatus.ACTIVE,
            next_poll_at=func.coalesce(ACCOUNT.c.next_poll_at, now),
        )
    )
