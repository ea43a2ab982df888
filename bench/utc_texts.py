"""SQLite's instant columns in a poll chunk: each row formatted, or each distinct instant once.

A chunk of 5,000 rows as the cycle writes it: ``captured_at``, ``started_at`` and
``last_polled_at`` repeat (one value per 25-profile response), ``next_poll_at`` is jittered per
account. Times ``bot/store/bulk.py``'s ``_utc_texts`` against formatting every row.

    .venv/bin/python bench/utc_texts.py
"""

from __future__ import annotations

import timeit
from datetime import UTC, datetime, timedelta
from operator import itemgetter

from _processes import machine

from bot.store import bulk

ROWS = 5000
T0 = datetime(2025, 6, 1, tzinfo=UTC)


def main() -> None:
    """Print ms per chunk for a repeated and a distinct column, both ways."""
    print(f"# bench/utc_texts.py {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    rows = [
        {"repeated": T0 + timedelta(seconds=i // 25), "distinct": T0 + timedelta(seconds=i * 1.37)}
        for i in range(ROWS)
    ]
    for key in ("repeated", "distinct"):
        pick = itemgetter(key)
        once = bulk._utc_texts(pick)

        def each(rows: list[dict[str, datetime]], pick: itemgetter[str] = pick) -> list[object]:
            return list(map(bulk._sqlite_utc_cell, map(pick, rows)))

        assert once(rows) == each(rows)
        for name, run in (("every row", each), ("once each", once)):
            seconds = min(timeit.repeat(lambda run=run: run(rows), number=20, repeat=5)) / 20
            print(f"{key:9} column, {name}: {seconds * 1000:6.2f} ms per {ROWS:,} rows")


if __name__ == "__main__":
    main()
