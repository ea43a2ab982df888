"""The import's own binary COPY stream stores what psycopg's ``write_row`` stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.store.imports import _COLUMNS, _TYPES
from bot.store.pgcopy import HEADER, TRAILER, Row, encode

INDIA = timezone(timedelta(hours=5, minutes=30))
PACIFIC = timezone(timedelta(hours=-8))
_COUNT = st.none() | st.integers(0, 2**63 - 1)
_INSTANT = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
) | st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([INDIA, PACIFIC]),
)
_ROW = st.tuples(
    st.integers(1, 3),
    _INSTANT,
    _COUNT,
    _COUNT,
    _COUNT,
    st.integers(0, 2**31 - 1),
    st.sampled_from(["import", "poll", "é✓"]),
    st.sampled_from(["ok", "suspect", "confirmed_drop", ""]),
)
_TABLE = (
    "CREATE TEMPORARY TABLE {} (account_id integer, captured_at timestamptz, followers bigint,"
    " following bigint, posts bigint, precision integer, source text, quality text)"
)


def _stored(driver: Any, table: str) -> list[tuple[Any, ...]]:
    with driver.cursor() as cursor:
        cursor.execute(f"SELECT {_COLUMNS} FROM {table} ORDER BY {_COLUMNS}")
        return list(cursor.fetchall())


@pytest.mark.postgres
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(_ROW, max_size=40))
def test_the_stream_stores_what_write_row_stores(pg_engine: Engine, rows: list[Row]) -> None:
    with pg_engine.connect() as connection:
        driver: Any = connection.connection.driver_connection
        with driver.cursor() as cursor:
            for table in ("ours", "theirs"):
                cursor.execute(_TABLE.format(table))
            with cursor.copy(f"COPY ours ({_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(encode(rows))
            with cursor.copy(f"COPY theirs ({_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(_TYPES)
                for row in rows:
                    copy.write_row(row)
        ours, theirs = _stored(driver, "ours"), _stored(driver, "theirs")
        connection.rollback()
    assert ours == theirs
    assert len(ours) == len(rows)


def test_an_empty_batch_is_the_header_and_the_trailer() -> None:
    assert encode([]) == HEADER + TRAILER


def test_a_missing_count_is_null_and_an_instant_counts_from_2000() -> None:
    at = datetime(2000, 1, 1, 0, 0, 1, tzinfo=UTC)
    body = encode([(7, at, 5, None, 3, 1, "import", "ok")])[len(HEADER) : -len(TRAILER)]
    assert body[:2] == (8).to_bytes(2, "big")
    assert body[6:10] == (7).to_bytes(4, "big")
    assert body[14:22] == (1_000_000).to_bytes(8, "big")  # one second, in microseconds
    assert body[34:38] == b"\xff\xff\xff\xff"  # following: NULL, no value after it
    assert body[38:42] == (8).to_bytes(4, "big")
    assert body.endswith((6).to_bytes(4, "big") + b"import" + (2).to_bytes(4, "big") + b"ok")
