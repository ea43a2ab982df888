"""Published figures: follower counts as imported snapshots, and totals over spans of days.

Both are written in the caller's transaction; a stored figure with another value is replaced
and the replacement recorded in the audit trail (``bot.store.corrections``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import Connection, insert, select, update

from bot.kinds import CorrectionAction, Quality, Source
from bot.store.corrections import Audit, record
from bot.store.tables import PUBLISHED_FIGURE, SNAPSHOT, id_pieces

# The published total the report takes for posts published, over exactly its days.
POSTS_PUBLISHED = "posts_published"


class Count(NamedTuple):
    """A published follower count at one instant."""

    account_id: int
    captured_at: datetime
    followers: int


class Total(NamedTuple):
    """A published total over the local days ``from_date`` to ``to_date``, both included."""

    account_id: int
    metric: str
    from_date: date
    to_date: date
    value: int


def save_counts(connection: Connection, counts: Sequence[Count], audit: Audit) -> tuple[int, int]:
    """Store follower counts as imported snapshots; (added, replaced)."""
    added = replaced = 0
    for count in counts:
        where = (SNAPSHOT.c.account_id == count.account_id) & (
            SNAPSHOT.c.captured_at == count.captured_at
        )
        stored = connection.execute(select(SNAPSHOT.c.followers).where(where)).first()
        if stored is None:
            connection.execute(
                insert(SNAPSHOT).values(
                    account_id=count.account_id,
                    captured_at=count.captured_at,
                    followers=count.followers,
                    precision=1,
                    source=Source.IMPORT,
                    quality=Quality.OK,
                )
            )
            added += 1
        elif stored.followers != count.followers:
            # The count alone is published: the snapshot's other counters stay as they are.
            connection.execute(update(SNAPSHOT).where(where).values(followers=count.followers))
            record(
                connection,
                audit,
                account_id=count.account_id,
                captured_at=count.captured_at,
                action=CorrectionAction.REPLACE,
                field="followers",
                old=stored.followers,
                new=count.followers,
            )
            replaced += 1
    return added, replaced


def save_totals(
    connection: Connection, totals: Sequence[Total], source_file: str, audit: Audit
) -> tuple[int, int]:
    """Store published totals, one per (account, span, metric); (added, replaced)."""
    added = replaced = 0
    table = PUBLISHED_FIGURE
    for total in totals:
        stored = connection.execute(
            select(table.c.id, table.c.value).where(
                table.c.account_id == total.account_id,
                table.c.from_date == total.from_date,
                table.c.to_date == total.to_date,
                table.c.metric == total.metric,
            )
        ).first()
        fields = {"value": total.value, "source_file": source_file[:255], "imported_at": audit.at}
        if stored is None:
            span = {"from_date": total.from_date, "to_date": total.to_date}
            connection.execute(
                insert(table).values(
                    account_id=total.account_id, metric=total.metric, **span, **fields
                )
            )
            added += 1
        elif stored.value != total.value:
            connection.execute(update(table).where(table.c.id == stored.id).values(**fields))
            record(
                connection,
                audit,
                account_id=total.account_id,
                figure_id=stored.id,
                action=CorrectionAction.REPLACE,
                field=total.metric,
                old=stored.value,
                new=total.value,
            )
            replaced += 1
    return added, replaced


def totals_for(
    connection: Connection,
    account_ids: Sequence[int],
    *,
    metric: str,
    from_date: date,
    to_date: date,
) -> dict[int, int]:
    """Each account's published total of ``metric`` for exactly these days, where there is one."""
    found: dict[int, int] = {}
    table = PUBLISHED_FIGURE
    for piece in id_pieces(connection.dialect, table.c.account_id, account_ids):
        statement = select(table.c.account_id, table.c.value).where(
            piece,
            table.c.metric == metric,
            table.c.from_date == from_date,
            table.c.to_date == to_date,
        )
        found.update({row.account_id: row.value for row in connection.execute(statement)})
    return found
