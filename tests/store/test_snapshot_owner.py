"""A snapshot's account: the declared key on SQLite, per-statement triggers on PostgreSQL (0008).

Each rule is checked on both databases, so the triggers are held to what the declared key does:
an orphan refused (by INSERT, the poller's bulk insert and COPY), deletes cascading, an account
id with snapshots kept, and on PostgreSQL the same locks as the per-row check.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import Connection, Engine, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError, NotSupportedError, OperationalError

from bot.kinds import AccountStatus
from bot.store.db import make_engine
from bot.store.pgcopy import encode
from bot.store.tables import ACCOUNT, SNAPSHOT
from bot.store.writes import insert_snapshots
from tests.conftest import PG_URL, _postgres_engine

T0 = datetime(2025, 1, 1, tzinfo=UTC)
MISSING = 987_654
# SQLite words it "FOREIGN KEY constraint failed"; PostgreSQL's own check and the triggers name
# the key.
REFUSED = "(?i)foreign key constraint"


def _account(connection: Connection, handle: str) -> int:
    row = {
        "platform": "bluesky",
        "handle": handle,
        "groups": [],
        "status": AccountStatus.ACTIVE,
        "created_at": T0,
    }
    account_id: int = connection.execute(insert(ACCOUNT).returning(ACCOUNT.c.id), row).scalar_one()
    return account_id


def _snapshot(account_id: int, day: int = 0) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "captured_at": T0 + timedelta(days=day),
        "followers": 100 + day,
        "following": 1,
        "posts": 2,
        "extra": None,
        "precision": 1,
        "source": "poll",
        "quality": "ok",
    }


def _accounts(engine: Engine, count: int) -> list[int]:
    with engine.begin() as connection:
        return [_account(connection, f"a{n}.bsky.social") for n in range(count)]


def _with_a_snapshot(engine: Engine) -> int:
    """A new account with one snapshot."""
    [account] = _accounts(engine, 1)
    with engine.begin() as connection:
        connection.execute(insert(SNAPSHOT), [_snapshot(account, 0)])
    return account


def _owners(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        query = select(SNAPSHOT.c.account_id).order_by(SNAPSHOT.c.account_id)
        return list(connection.execute(query).scalars())


def _copy(connection: Connection, rows: list[dict[str, Any]]) -> None:
    counts = ("followers", "following", "posts")
    block = encode(
        (r["account_id"], r["captured_at"], *(r[c] for c in counts), 1, "import", "ok")
        for r in rows
    )
    columns = "account_id, captured_at, followers, following, posts, precision, source, quality"
    driver: Any = connection.connection.driver_connection
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY snapshot ({columns}) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        copy.write(block)


def test_a_snapshot_of_a_missing_account_is_refused_and_its_statement_writes_nothing(
    engine: Engine,
) -> None:
    [known] = _accounts(engine, 1)
    rows = [_snapshot(known, 0), _snapshot(MISSING, 1), _snapshot(known, 2)]
    with pytest.raises(IntegrityError, match=REFUSED) as refused, engine.begin() as connection:
        connection.execute(insert(SNAPSHOT), rows)
    if engine.dialect.name == "postgresql":
        assert f"Key (account_id)=({MISSING}) is not present" in str(refused.value)
    with pytest.raises(IntegrityError, match=REFUSED), engine.begin() as connection:
        insert_snapshots(connection, rows)  # the poller's path: unnest arrays on PostgreSQL
    assert _owners(engine) == []
    with engine.begin() as connection:
        insert_snapshots(connection, [_snapshot(known, 0), _snapshot(known, 1)])
    assert _owners(engine) == [known, known]


@pytest.mark.postgres
def test_a_copy_naming_a_missing_account_is_refused(pg_engine: Engine) -> None:
    [known] = _accounts(pg_engine, 1)
    rows = [_snapshot(known, day) for day in range(3)] + [_snapshot(MISSING, 3)]
    refused = pytest.raises(psycopg.errors.ForeignKeyViolation, match=str(MISSING))
    with refused, pg_engine.begin() as connection:
        _copy(connection, rows)
    with pg_engine.begin() as connection:
        _copy(connection, rows[:3])
    assert _owners(pg_engine) == [known] * 3


def test_deleting_accounts_deletes_their_snapshots_and_no_others(engine: Engine) -> None:
    first, second, kept = _accounts(engine, 3)
    with engine.begin() as connection:
        connection.execute(
            insert(SNAPSHOT), [_snapshot(a, d) for a in (first, second, kept) for d in range(2)]
        )
    with engine.begin() as connection:
        connection.execute(delete(ACCOUNT).where(ACCOUNT.c.id.in_([first, second])))
    assert _owners(engine) == [kept, kept]
    with engine.begin() as connection:
        connection.execute(delete(ACCOUNT).where(ACCOUNT.c.id == kept))
    assert _owners(engine) == []


def test_moving_a_snapshot_to_a_missing_account_is_refused(engine: Engine) -> None:
    old, new = _accounts(engine, 2)
    with engine.begin() as connection:
        connection.execute(insert(SNAPSHOT), [_snapshot(old, 0)])
    moved = update(SNAPSHOT).where(SNAPSHOT.c.account_id == old)
    with pytest.raises(IntegrityError, match=REFUSED), engine.begin() as connection:
        connection.execute(moved.values(account_id=MISSING))
    with engine.begin() as connection:
        connection.execute(moved.values(account_id=new))
    assert _owners(engine) == [new]


def test_an_account_id_cannot_change_while_snapshots_name_it(engine: Engine) -> None:
    named, unnamed = _accounts(engine, 2)
    with engine.begin() as connection:
        connection.execute(insert(SNAPSHOT), [_snapshot(named, 0)])
    renumber = update(ACCOUNT).values(id=ACCOUNT.c.id + 1000)
    with pytest.raises(IntegrityError, match=REFUSED), engine.begin() as connection:
        connection.execute(renumber.where(ACCOUNT.c.id == named))
    with engine.begin() as connection:
        connection.execute(renumber.where(ACCOUNT.c.id == unnamed))
    with engine.connect() as connection:
        ids = set(connection.execute(select(ACCOUNT.c.id)).scalars())
    assert ids == {named, unnamed + 1000}
    assert _owners(engine) == [named]


@pytest.mark.postgres
def test_truncating_accounts_is_refused_while_snapshots_remain_unless_both_are_named(
    pg_engine: Engine,
) -> None:
    account = _with_a_snapshot(pg_engine)
    for statement in ("TRUNCATE account CASCADE", "TRUNCATE account, poll_attempt, correction"):
        refused = pytest.raises(NotSupportedError, match="referenced in a foreign key")
        with refused, pg_engine.begin() as connection:
            connection.execute(text(statement))
    assert _owners(pg_engine) == [account]
    with pg_engine.begin() as connection:
        connection.execute(text("TRUNCATE snapshot, account CASCADE"))
    assert _owners(pg_engine) == [] and _accounts(pg_engine, 1)
    with pg_engine.begin() as connection:
        connection.execute(text("TRUNCATE account CASCADE"))  # no snapshot left to orphan


@pytest.mark.postgres
def test_changing_accounts_asks_for_read_committed_and_the_bot_connects_so(
    pg_engine: Engine,
) -> None:
    account = _with_a_snapshot(pg_engine)
    stricter = pg_engine.execution_options(isolation_level="REPEATABLE READ")
    refused = pytest.raises(NotSupportedError, match="needs READ COMMITTED")
    with refused, stricter.begin() as connection:
        connection.execute(delete(ACCOUNT).where(ACCOUNT.c.id == account))
    with stricter.begin() as connection:  # writing snapshots is safe at any level
        connection.execute(insert(SNAPSHOT), [_snapshot(account, 1)])
    # The bot's engine asks for READ COMMITTED even where the server's default is stricter.
    schema = pg_engine.url.query["options"].split("=")[-1]
    options = f"-csearch_path%3D{schema}%20-cdefault_transaction_isolation%3Dserializable"
    bots = make_engine(f"{PG_URL}?options={options}")
    try:
        with bots.begin() as connection:
            assert connection.execute(text("SHOW default_transaction_isolation")).scalar_one() == (
                "serializable"
            )
            assert connection.execute(text("SHOW transaction_isolation")).scalar_one() == (
                "read committed"
            )
            connection.execute(delete(ACCOUNT).where(ACCOUNT.c.id == account))
    finally:
        bots.dispose()
    assert _owners(pg_engine) == []


@pytest.mark.postgres
def test_each_schema_keeps_its_own_rows_whatever_the_search_path(pg_engine: Engine) -> None:
    """The triggers name their tables through their own table's schema, not the caller's path."""
    others = _postgres_engine()
    other = next(others)
    try:
        [mine], [theirs] = _accounts(pg_engine, 1), _accounts(other, 2)[1:]
        for engine, account in ((pg_engine, mine), (other, mine), (other, theirs)):
            with engine.begin() as connection:
                connection.execute(insert(SNAPSHOT), [_snapshot(account, 0)])
        here = pg_engine.url.query["options"].split("=")[-1]
        # From the other schema's path: a delete here cascades here, not there.
        with other.begin() as connection:
            connection.execute(text(f'DELETE FROM "{here}".account WHERE id = :id'), {"id": mine})
        assert _owners(pg_engine) == [] and _owners(other) == [mine, theirs]
        # An account that exists only there does not make a snapshot here valid.
        refused = pytest.raises(IntegrityError, match=REFUSED)
        with refused, other.begin() as connection:
            connection.execute(
                text(
                    f'INSERT INTO "{here}".snapshot (account_id, captured_at, precision, source,'
                    " quality) VALUES (:id, :at, 1, 'poll', 'ok')"
                ),
                {"id": theirs, "at": T0},
            )
    finally:
        others.close()


@pytest.mark.postgres
def test_a_role_that_may_write_snapshots_need_not_lock_accounts(pg_engine: Engine) -> None:
    """As with the key, whose checks run as the table's owner."""
    [account] = _accounts(pg_engine, 1)
    schema = pg_engine.url.query["options"].split("=")[-1]
    role = f"writer_{schema}"
    grants = [
        f'CREATE ROLE "{role}" NOLOGIN',
        f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"',
        f'GRANT SELECT, INSERT ON "{schema}".snapshot TO "{role}"',
        f'GRANT SELECT, DELETE ON "{schema}".account TO "{role}"',
        f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"',
    ]
    with pg_engine.begin() as connection:
        for grant in grants:
            connection.execute(text(grant))
    try:
        with pg_engine.begin() as connection:
            connection.execute(text(f'SET LOCAL ROLE "{role}"'))
            connection.execute(insert(SNAPSHOT), [_snapshot(account, 0)])
        assert _owners(pg_engine) == [account]
        with pg_engine.begin() as connection:
            connection.execute(text(f'SET LOCAL ROLE "{role}"'))
            connection.execute(delete(ACCOUNT).where(ACCOUNT.c.id == account))
        assert _owners(pg_engine) == []
    finally:
        with pg_engine.begin() as connection:
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))


@pytest.mark.postgres
def test_an_insert_holds_its_accounts_until_its_transaction_ends(pg_engine: Engine) -> None:
    """As the per-row check did: a delete of the account waits for the inserting transaction."""
    account, other = _accounts(pg_engine, 2)
    with pg_engine.connect() as writer, pg_engine.connect() as deleter:
        writer.execute(insert(SNAPSHOT), [_snapshot(account, 0)])  # open, not committed
        deleter.execute(text("SET lock_timeout = '300ms'"))
        with pytest.raises(OperationalError, match="lock timeout"):
            deleter.execute(delete(ACCOUNT).where(ACCOUNT.c.id == account))
        deleter.rollback()
        # An account the insert does not name is not held.
        deleter.execute(delete(ACCOUNT).where(ACCOUNT.c.id == other))
        deleter.commit()
        writer.commit()
        deleter.execute(delete(ACCOUNT).where(ACCOUNT.c.id == account))
        deleter.commit()
    assert _owners(pg_engine) == []


@pytest.mark.postgres
def test_an_insert_behind_a_delete_of_its_account_waits_then_is_refused(pg_engine: Engine) -> None:
    [account] = _accounts(pg_engine, 1)
    failure: list[BaseException] = []
    with pg_engine.connect() as deleter, pg_engine.connect() as writer:
        pid = writer.execute(text("SELECT pg_backend_pid()")).scalar_one()
        writer.commit()
        deleter.execute(delete(ACCOUNT).where(ACCOUNT.c.id == account))  # open, not committed

        def write() -> None:
            try:
                with writer.begin():
                    writer.execute(insert(SNAPSHOT), [_snapshot(account, 0)])
            except BaseException as exc:  # looked at below
                failure.append(exc)

        thread = threading.Thread(target=write)
        thread.start()
        _until_waiting(pg_engine, pid)
        deleter.commit()
        thread.join(timeout=30)
    assert not thread.is_alive()
    [error] = failure
    assert isinstance(error, IntegrityError) and "foreign key constraint" in str(error)
    assert _owners(pg_engine) == []


def _until_waiting(engine: Engine, pid: int) -> None:
    """Return once backend ``pid`` waits for a lock (bounded: 20 s). Each look is its own
    transaction: within one, PostgreSQL shows the activity as it was at the first look."""
    query = text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid")
    deadline = time.monotonic() + 20
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher:
        while watcher.execute(query, {"pid": pid}).scalar_one_or_none() != "Lock":
            assert time.monotonic() < deadline, "the insert never waited for the delete's lock"
            time.sleep(0.01)
