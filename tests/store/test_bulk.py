"""The SQLite executemany path writes byte for byte what SQLAlchemy's own path writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, bindparam, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import StatementError

from bot.kinds import PollOutcome, Quality, Source
from bot.store.bulk import FEWEST, _plan, execute_many, sqlite_utc_text
from bot.store.db import make_engine, migrate
from bot.store.instants import UTCDateTime
from bot.store.tables import ACCOUNT, POLL_ATTEMPT, SNAPSHOT, insert_new
from bot.store.writes import IDENTITY_UPDATE

T0 = datetime(2025, 6, 1, 12, 30, 15, 123456, tzinfo=UTC)
# Enough rows for the fast path (fewer take SQLAlchemy's, which these tests compare it with).
ACCOUNTS = max(FEWEST, 20)
INDIA = timezone(timedelta(hours=5, minutes=30))
PACIFIC = timezone(timedelta(hours=-8))
UNIQUE = ["account_id", "captured_at"]
SQLITE_UTC = UTCDateTime().dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())


def _store(tmp_path: Path, name: str) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    migrate(engine)
    with engine.begin() as connection:
        connection.execute(
            ACCOUNT.insert(),
            [
                {"platform": "x", "handle": f"h{i}", "groups": [], "created_at": T0}
                for i in range(1, ACCOUNTS + 1)
            ],
        )
        connection.execute(
            update(ACCOUNT).values(
                lease_owner="w1", lease_until=T0, last_error="old", display_name="Stored"
            )
        )
    return engine


def _snapshots() -> list[dict[str, Any]]:
    instants = [
        T0,
        T0.astimezone(INDIA) + timedelta(days=1),
        datetime(1999, 12, 31, 23, 59, 59, tzinfo=PACIFIC),
    ]
    extras: list[dict[str, Any] | None] = [None, {"likes": 3, "name": "Zoë 😀"}, {}]
    return [
        {
            "account_id": 1 + i % ACCOUNTS,
            "captured_at": instants[i % 3] + timedelta(microseconds=i),
            "followers": 10**12 + i if i % 3 else None,
            "following": i,
            "posts": None,
            "extra": extras[i % 3],
            "precision": 1 + i % 3,
            "source": Source.POLL if i % 3 else Source.IMPORT,
            "quality": Quality.SUSPECT if i % 3 == 2 else Quality.OK,
        }
        for i in range(3 * ACCOUNTS)
    ]


def _attempts() -> list[dict[str, Any]]:
    return [
        {
            "account_id": i,
            "started_at": T0 + timedelta(microseconds=i),
            "duration_ms": 40 * i,
            "outcome": PollOutcome.OK if i != 2 else PollOutcome.HTTP_ERROR,
            "http_status": None if i != 2 else 503,
            "message": None if i != 2 else "HTTP 503: 'quoted' \"text\"",
        }
        for i in range(1, ACCOUNTS + 1)
    ]


def _polled() -> tuple[Any, list[dict[str, Any]]]:
    statement = (
        update(ACCOUNT)
        .where(ACCOUNT.c.id == bindparam("b_id"))
        .values(
            next_poll_at=bindparam("b_next"),
            last_error=bindparam("b_error"),
            lease_owner=None,
            lease_until=None,
            # A constant that is not NULL, and one that goes through a converter.
            status="paused",
            last_polled_at=T0.astimezone(PACIFIC),
        )
    )
    rows = [
        {"b_id": i, "b_next": T0.astimezone(INDIA) + timedelta(hours=i), "b_error": None}
        for i in range(1, ACCOUNTS + 1)
        if i != 2
    ]
    return statement, rows


def _identities() -> list[dict[str, Any]]:
    """Stable ids for every account; a name for the odd ones (the others keep theirs)."""
    return [
        {"b_id": i, "b_platform_id": f"did:plc:{i}", "b_name": f"Name {i}" if i % 2 else None}
        for i in range(1, ACCOUNTS + 1)
    ]


def _dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            table: [
                tuple(row)
                for row in connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1")
            ]
            for table in ("account", "snapshot", "poll_attempt")
        }


def test_rows_written_are_those_sqlalchemy_writes(tmp_path: Path) -> None:
    ours, theirs = _store(tmp_path, "ours.db"), _store(tmp_path, "theirs.db")
    statement, rows = _polled()
    counts = []
    for engine, run in (
        (ours, lambda c, s, r: execute_many(c, s, r)),
        (theirs, lambda c, s, r: c.execute(s, r).rowcount),
    ):
        with engine.begin() as connection:
            snapshot = insert_new(connection.dialect, SNAPSHOT, unique=UNIQUE)
            counts.append(
                (
                    run(connection, snapshot, _snapshots()),
                    # The same rows again: ON CONFLICT DO NOTHING, none changed.
                    run(connection, snapshot, _snapshots()),
                    run(connection, POLL_ATTEMPT.insert(), _attempts()),
                    run(connection, statement, rows),
                    run(connection, IDENTITY_UPDATE, _identities()),
                )
            )
    assert counts[0] == counts[1] == (3 * ACCOUNTS, 0, ACCOUNTS, ACCOUNTS - 1, ACCOUNTS)
    dumped = _dump(ours)
    assert dumped == _dump(theirs)
    # The constants of the statement were written: the leases of accounts 1 and 3 are cleared.
    with ours.connect() as connection:
        leases = connection.exec_driver_sql(
            "SELECT id, lease_owner, lease_until FROM account ORDER BY id"
        ).all()
    assert leases[:3] == [
        (1, None, None),
        (2, "w1", "2025-06-01 12:30:15.123456"),
        (3, None, None),
    ]
    assert dumped["snapshot"][1][2] == "2025-06-02 12:30:15.123457"
    # A name not reported (None) kept the stored one.
    with ours.connect() as connection:
        names = connection.exec_driver_sql(
            "SELECT id, platform_id, display_name FROM account WHERE id <= 2 ORDER BY id"
        ).all()
    assert names == [(1, "did:plc:1", "Name 1"), (2, "did:plc:2", "Stored")]


def test_a_naive_datetime_is_refused_on_both_paths(tmp_path: Path) -> None:
    engine = _store(tmp_path, "naive.db")
    rows = [{**row, "started_at": datetime(2025, 6, 1, 12)} for row in _attempts()]
    # Raised as SQLAlchemy raises it, whichever path the rows take.
    with pytest.raises(StatementError, match="timezone"), engine.begin() as connection:
        execute_many(connection, POLL_ATTEMPT.insert(), rows)
    with pytest.raises(StatementError, match="timezone"), engine.begin() as connection:
        connection.execute(POLL_ATTEMPT.insert(), rows)
    assert _dump(engine)["poll_attempt"] == []


def test_one_instant_in_several_zones_is_written_once_and_the_same(tmp_path: Path) -> None:
    # Each distinct instant of a column is formatted once (bot/store/bulk.py ``_utc_texts``).
    ours, theirs = _store(tmp_path, "ours.db"), _store(tmp_path, "theirs.db")
    zones = [T0, T0.astimezone(INDIA), T0.astimezone(PACIFIC), T0 + timedelta(microseconds=1)]
    rows = [{**row, "started_at": zones[i % 4]} for i, row in enumerate(_attempts())]
    with ours.begin() as connection:
        execute_many(connection, POLL_ATTEMPT.insert(), rows)
    with theirs.begin() as connection:
        connection.execute(POLL_ATTEMPT.insert(), rows)
    assert _dump(ours) == _dump(theirs)
    assert {row[2] for row in _dump(ours)["poll_attempt"]} == {
        "2025-06-01 12:30:15.123456",
        "2025-06-01 12:30:15.123457",
    }
    # The same wall clock without a zone is not the instant already formatted: refused.
    naive = [*rows, {**rows[0], "started_at": T0.replace(tzinfo=None)}]
    with pytest.raises(StatementError, match="timezone"), ours.begin() as connection:
        execute_many(connection, POLL_ATTEMPT.insert(), naive)


def test_nothing_to_write_runs_nothing(tmp_path: Path) -> None:
    engine = _store(tmp_path, "empty.db")
    with engine.begin() as connection:
        assert execute_many(connection, POLL_ATTEMPT.insert(), []) == 0


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, INDIA, PACIFIC, timezone(timedelta(hours=14))]),
    )
)
def test_utc_text_is_sqlalchemys(value: datetime) -> None:
    assert SQLITE_UTC is not None
    assert sqlite_utc_text(value) == SQLITE_UTC(value)


def test_the_poll_cycles_statements_take_the_fast_path() -> None:
    # A statement that silently fell back to SQLAlchemy's path would pass the tests above.
    dialect = sqlite.dialect()
    statement, rows = _polled()
    snapshot = insert_new(dialect, SNAPSHOT, unique=UNIQUE)
    for each, first in (
        (snapshot, _snapshots()[0]),
        (POLL_ATTEMPT.insert(), _attempts()[0]),
        (statement, rows[0]),
        (IDENTITY_UPDATE, _identities()[0]),
    ):
        assert _plan(dialect, each, first) is not None


def test_what_sqlalchemy_does_at_execution_is_left_to_it(tmp_path: Path) -> None:
    # A column default computed per row, an IN list expanded at execution, RETURNING.
    engine = make_engine(f"sqlite:///{tmp_path / 'defaults.db'}")
    table = Table(
        "t",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("n", Integer),
        Column("label", String, default="from-default"),
    )
    table.metadata.create_all(engine)
    rows = [{"id": i, "n": i} for i in range(1, ACCOUNTS + 1)]
    with engine.begin() as connection:
        assert execute_many(connection, table.insert(), rows) == ACCOUNTS
        labels = {
            label
            for (label,) in connection.execute(table.select().with_only_columns(table.c.label))
        }
        assert labels == {"from-default"}
        dialect = connection.dialect
        expanding = table.update().where(table.c.id.in_([1, 2])).values(n=bindparam("b_n"))
        assert _plan(dialect, expanding, {"b_n": 0}) is None
        assert _plan(dialect, table.insert().returning(table.c.id), rows[0]) is None
        assert _plan(dialect, table.insert(), rows[0]) is None
