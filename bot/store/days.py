"""Each account's last good follower count of each local day: what a 30-day chart draws.

The counts are one index seek per account and day (a scalar subquery each, 30 columns a row),
so their work does not grow with how often the accounts were polled: a digest of 2,000
accounts polled hourly read 1.4 million snapshots before; the seeks take 0.4 s where ranking
those rows took 8 s (docs/development.md). The points of the few charted accounts (24) are
ranked inside the database (a window function over their 30 days), one row per day.

Both take ``starts``, the first instant of each local day in order (so DST days of 23 or 25
hours count as one day each), and ``until``, which must fall within the last day: nothing
after it counts, and the last day has no other end.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, select, true

from bot.growth import Point
from bot.kinds import Quality
from bot.store.tables import ACCOUNT, SNAPSHOT, id_pieces

# What a point needs besides its followers (which every row has), in the order used below.
_POINT = ("captured_at", "following", "posts", "precision")


def daily_counts(
    connection: Connection, account_ids: Sequence[int], starts: Sequence[datetime], until: datetime
) -> dict[int, tuple[int | None, ...]]:
    """Per account, the last good follower count of each day (None: no count that day)."""
    captured = SNAPSHOT.c.captured_at
    ends = [captured < start for start in starts[1:]] + [true()]
    seeks = [
        select(SNAPSHOT.c.followers)
        .where(
            SNAPSHOT.c.account_id == ACCOUNT.c.id,
            captured >= start,
            end,
            captured <= until,
            SNAPSHOT.c.quality != Quality.SUSPECT,
            SNAPSHOT.c.followers.is_not(None),
        )
        .order_by(captured.desc())
        .limit(1)
        .scalar_subquery()
        for start, end in zip(starts, ends, strict=True)
    ]
    found: dict[int, tuple[int | None, ...]] = {i: (None,) * len(starts) for i in account_ids}
    for piece in id_pieces(connection.dialect, ACCOUNT.c.id, account_ids):
        for account_id, *counts in connection.execute(select(ACCOUNT.c.id, *seeks).where(piece)):
            found[account_id] = tuple(counts)
    return found


def daily_points(
    connection: Connection, account_ids: Sequence[int], starts: Sequence[datetime], until: datetime
) -> dict[int, list[Point]]:
    """Per account, in time order: the snapshots ``daily_counts`` took a count from.

    A day without a count between two with one is a point without followers at the day's
    start: a chart's line stops there, as it does at a snapshot that reported no count.
    """
    by_day: dict[int, dict[int, Point]] = {i: {} for i in account_ids}
    columns = [SNAPSHOT.c[name] for name in _POINT]
    for account_id, day, followers, at, following, posts, precision in _last_rows(
        connection, account_ids, starts, until, columns
    ):
        by_day[account_id][day] = Point(at, followers, following, posts, precision)
    return {
        account_id: [
            days.get(day, Point(starts[day], None)) for day in range(min(days), max(days) + 1)
        ]
        if days
        else []
        for account_id, days in by_day.items()
    }


def _last_rows(
    connection: Connection,
    account_ids: Sequence[int],
    starts: Sequence[datetime],
    until: datetime,
    columns: Sequence[Any],
) -> Iterator[Any]:
    """Rows of (account id, day index, followers, *columns), one per account and day."""
    captured = SNAPSHOT.c.captured_at
    # The day a snapshot falls on: the index of the last start at or before it.
    day = case(
        *((captured < starts[i + 1], i) for i in range(len(starts) - 1)),
        else_=len(starts) - 1,
    )
    newest_first = func.row_number().over(
        partition_by=(SNAPSHOT.c.account_id, day), order_by=captured.desc()
    )
    for piece in id_pieces(connection.dialect, SNAPSHOT.c.account_id, account_ids):
        ranked = (
            select(
                SNAPSHOT.c.account_id,
                day.label("day"),
                SNAPSHOT.c.followers,
                *columns,
                newest_first.label("rank"),
            )
            .where(
                piece,
                captured >= starts[0],
                captured <= until,
                SNAPSHOT.c.quality != Quality.SUSPECT,
                SNAPSHOT.c.followers.is_not(None),
            )
            .subquery("ranked")
        )
        picked = [ranked.c.account_id, ranked.c.day, ranked.c.followers]
        picked += [ranked.c[column.name] for column in columns]
        statement = (
            select(*picked).where(ranked.c.rank == 1).order_by(ranked.c.account_id, ranked.c.day)
        )
        yield from connection.execute(statement).all()
