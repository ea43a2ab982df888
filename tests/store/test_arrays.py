"""PostgreSQL's array writes store what SQLAlchemy's executemany stores, value for value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from bot.kinds import PollOutcome, Quality, Source
from bot.store.arrays import columns_of, insert_arrays, update_arrays
from bot.store.tables import ACCOUNT, POLL_ATTEMPT, SNAPSHOT, insert_new
from bot.store.writes import _ATTEMPT_ARRAYS, _POLLED, _POLLED_ARRAYS, _SNAPSHOT_ARRAYS

pytestmark = pytest.mark.postgres
T0 = datetime(2025, 6, 1, 12, 30, 15, 123456, tzinfo=UTC)
INDIA = timezone(timedelta(hours=5, minutes=30))


def _accounts(engine: Engine, count: int) -> list[int]:
    with engine.begin() as connection:
        connection.execute(
            insert(ACCOUNT),
            [
                {"platform": "x", "handle": f"h{i}", "groups": [], "created_at": T0}
                for i in range(count)
            ],
        )
        return list(connection.execute(select(ACCOUNT.c.id).order_by(ACCOUNT.c.id)).scalars())


def _values(engine: Engine, table: Any, ids: list[int], key: Any) -> list[tuple[Any, ...]]:
    """The rows of these accounts, without their ids, in the accounts' order."""
    skip = {"id", "account_id"}
    columns = [c for c in table.c if c.name not in skip]
    with engine.connect() as connection:
        rows = connection.execute(select(key, *columns).where(key.in_(ids)).order_by(key))
        return [tuple(row[1:]) for row in rows]


def _snapshots(ids: list[int]) -> list[dict[str, Any]]:
    extras: list[Any] = [None, {"views": 12}, {"é": ["✓", 1.5, None]}, None]
    return [
        {
            "account_id": account_id,
            "captured_at": (T0 + timedelta(seconds=i)).astimezone(INDIA if i % 2 else UTC),
            "followers": None if i == 2 else 2**63 - 1 - i,
            "following": i,
            "posts": None,
            "extra": extras[i % len(extras)],
            "precision": 1000 if i == 1 else 1,
            "source": Source.POLL if i % 3 else Source.IMPORT,
            "quality": Quality.SUSPECT if i == 3 else Quality.OK,
        }
        for i, account_id in enumerate(ids)
    ]


def test_snapshots_and_their_conflicts(pg_engine: Engine) -> None:
    ids = _accounts(pg_engine, 16)
    ours, theirs = ids[:8], ids[8:]
    statement = insert_new(pg_engine.dialect, SNAPSHOT, unique=["account_id", "captured_at"])
    with pg_engine.begin() as connection:
        rows = _snapshots(ours)
        assert (
            insert_arrays(
                connection,
                "snapshot",
                columns_of(rows, _SNAPSHOT_ARRAYS),
                unique=["account_id", "captured_at"],
            )
            == 8
        )
        # The same again: every row conflicts and is left alone.
        again = [{**row, "followers": 1} for row in rows]
        assert (
            insert_arrays(
                connection,
                "snapshot",
                columns_of(again, _SNAPSHOT_ARRAYS),
                unique=["account_id", "captured_at"],
            )
            == 0
        )
        connection.execute(statement, _snapshots(theirs))
    key = SNAPSHOT.c.account_id
    assert _values(pg_engine, SNAPSHOT, ours, key) == _values(pg_engine, SNAPSHOT, theirs, key)
    with pg_engine.connect() as connection:
        stored = connection.exec_driver_sql(
            "SELECT extra::text FROM snapshot WHERE extra IS NOT NULL ORDER BY account_id"
        ).scalars()
        texts = list(stored)
    # JSON kept as text the way SQLAlchemy's JSON type writes it (json.dumps), both paths.
    assert texts[: len(texts) // 2] == texts[len(texts) // 2 :]
    assert '{"\\u00e9": ["\\u2713", 1.5, null]}' in texts


def test_attempts_and_account_updates(pg_engine: Engine) -> None:
    ids = _accounts(pg_engine, 12)
    ours, theirs = ids[:6], ids[6:]

    def attempts(accounts: list[int]) -> list[dict[str, Any]]:
        return [
            {
                "account_id": a,
                "started_at": T0.astimezone(INDIA) + timedelta(minutes=i),
                "duration_ms": 10 * i,
                "outcome": PollOutcome.OK if i % 2 else PollOutcome.HTTP_ERROR,
                "http_status": None if i % 2 else 503,
                "message": None if i % 2 else f"HTTP 503 ✓ {i}",
            }
            for i, a in enumerate(accounts)
        ]

    def updates(accounts: list[int]) -> list[dict[str, Any]]:
        return [
            {
                "b_id": a,
                "b_status": "active",
                "b_next": None if i == 0 else T0 + timedelta(hours=i),
                "b_polled": T0.astimezone(INDIA),
                "b_error": None if i % 2 else "boom",
            }
            for i, a in enumerate(accounts)
        ]

    with pg_engine.begin() as connection:
        connection.execute(ACCOUNT.update().values(lease_owner="w1", lease_until=T0))
        insert_arrays(connection, "poll_attempt", columns_of(attempts(ours), _ATTEMPT_ARRAYS))
        changed = update_arrays(
            connection,
            "account",
            "id",
            columns_of(updates(ours), _POLLED_ARRAYS),
            also="lease_owner = NULL, lease_until = NULL",
        )
        assert changed == 6
        connection.execute(POLL_ATTEMPT.insert(), attempts(theirs))
        connection.execute(_POLLED, updates(theirs))
    key = POLL_ATTEMPT.c.account_id
    assert _values(pg_engine, POLL_ATTEMPT, ours, key) == _values(
        pg_engine, POLL_ATTEMPT, theirs, key
    )
    mine = _values(pg_engine, ACCOUNT, ours, ACCOUNT.c.id)
    other = _values(pg_engine, ACCOUNT, theirs, ACCOUNT.c.id)
    handle = [c.name for c in ACCOUNT.c if c.name not in {"id", "account_id"}].index("handle")
    assert [r[:handle] + r[handle + 1 :] for r in mine] == [
        r[:handle] + r[handle + 1 :] for r in other
    ]
    with pg_engine.connect() as connection:
        leases = connection.execute(select(ACCOUNT.c.lease_owner, ACCOUNT.c.lease_until)).all()
    assert set(leases) == {(None, None)}  # given up, by both paths


def test_a_naive_instant_is_refused(pg_engine: Engine) -> None:
    [account_id] = _accounts(pg_engine, 1)
    row = {**_snapshots([account_id])[0], "captured_at": datetime(2025, 6, 1)}
    with pg_engine.begin() as connection, pytest.raises(ValueError, match="timezone"):
        insert_arrays(connection, "snapshot", columns_of([row], _SNAPSHOT_ARRAYS))


HOSTILE = [
    "NULL",
    "",
    " ",
    "a,b",
    "{x}",
    'say "hi"',
    "back\\slash",
    '\\"',
    "é ✓ 🙂",
    " pad ",
    "\t\n",
]


def test_texts_that_look_like_array_syntax_arrive_as_they_are(pg_engine: Engine) -> None:
    # Array literals are written by hand (bot/store/arrays.py): a quote, a backslash, a brace, a
    # comma, the word NULL and blank texts are each one element, stored as given.
    ids = _accounts(pg_engine, len(HOSTILE) + 1)
    messages: list[str | None] = [*HOSTILE, None]
    rows = [
        {
            "account_id": a,
            "started_at": T0,
            "duration_ms": 2**31 - 1 if i == 0 else i,
            "outcome": PollOutcome.HTTP_ERROR,
            "http_status": None,
            "message": message,
        }
        for i, (a, message) in enumerate(zip(ids, messages, strict=True))
    ]
    with pg_engine.begin() as connection:
        insert_arrays(connection, "poll_attempt", columns_of(rows, _ATTEMPT_ARRAYS))
        stored = connection.execute(
            select(POLL_ATTEMPT.c.message, POLL_ATTEMPT.c.duration_ms).order_by(
                POLL_ATTEMPT.c.account_id
            )
        ).all()
    assert [m for m, _ in stored] == messages
    assert stored[0][1] == 2**31 - 1


def test_a_value_of_the_wrong_kind_is_refused(pg_engine: Engine) -> None:
    [account_id] = _accounts(pg_engine, 1)
    row = {**_snapshots([account_id])[0], "followers": 1.5}
    with pg_engine.begin() as connection, pytest.raises(TypeError):
        insert_arrays(connection, "snapshot", columns_of([row], _SNAPSHOT_ARRAYS))


def test_a_column_kind_without_a_literal_is_refused(pg_engine: Engine) -> None:
    # Each kind's literal is written by hand: a new one must say how, not guess.
    with pg_engine.begin() as connection, pytest.raises(ValueError, match="no array literal"):
        insert_arrays(connection, "poll_attempt", {"duration_ms": ("float8", [1.5])})
