"""What a streamed ``bot import`` asks the database: which rows this import already wrote.

A file is read once, in batches, without remembering its rows: a second row for an account and
instant already written by an earlier batch is found here. Rows this import inserted have ids
above the highest one before it began; rows it replaced carry its audit record.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, func, select

from bot.kinds import CorrectionAction, Quality
from bot.store.corrections import Audit
from bot.store.tables import CORRECTION, SNAPSHOT, chunks


def last_snapshot_id(connection: Connection) -> int:
    """The highest snapshot id so far (0 in an empty database)."""
    found: int | None = connection.execute(select(func.max(SNAPSHOT.c.id))).scalar_one()
    return found or 0


def written_by_this_import(
    connection: Connection,
    account_id: int,
    instants: Sequence[datetime],
    *,
    after_id: int,
    replace: Audit | None,
) -> set[datetime]:
    """Of ``instants``, those this import already wrote for the account (inserted or replaced)."""
    found: set[datetime] = set()
    for chunk in chunks(instants):
        found.update(
            connection.execute(
                select(SNAPSHOT.c.captured_at).where(
                    SNAPSHOT.c.account_id == account_id,
                    SNAPSHOT.c.captured_at.in_(chunk),
                    SNAPSHOT.c.id > after_id,
                )
            ).scalars()
        )
        if replace is not None:
            found.update(
                connection.execute(
                    select(CORRECTION.c.captured_at).where(
                        CORRECTION.c.account_id == account_id,
                        CORRECTION.c.captured_at.in_(chunk),
                        CORRECTION.c.action == CorrectionAction.REPLACE,
                        CORRECTION.c.origin == replace.origin[:255],
                        CORRECTION.c.at == replace.at,
                    )
                ).scalars()
            )
    return found


def suspect_between(
    connection: Connection, account_id: int, first: datetime, last: datetime
) -> dict[datetime, int | None]:
    """The account's suspect snapshots in [first, last]: instant -> follower count."""
    rows = connection.execute(
        select(SNAPSHOT.c.captured_at, SNAPSHOT.c.followers).where(
            SNAPSHOT.c.account_id == account_id,
            SNAPSHOT.c.captured_at >= first,
            SNAPSHOT.c.captured_at <= last,
            SNAPSHOT.c.quality == Quality.SUSPECT,
        )
    )
    return {row.captured_at: row.followers for row in rows}
