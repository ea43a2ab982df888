"""The store on SQLite and PostgreSQL: schema, bulk writes, idempotence, seeks, renames."""

from __future__ import annotations

import os
import stat
import warnings
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, func, literal, select, text
from sqlalchemy.exc import StatementError
from sqlmodel import Session, SQLModel

from bot.config import AccountSettings
from bot.kinds import Quality
from bot.query.accounts import account_by_key
from bot.store import history
from bot.store.accounts import get_or_create, sync_accounts
from bot.store.db import HEAD, alembic_config, at_head, make_engine, migrate, normalize_url
from bot.store.instants import UTCDateTime
from bot.store.models import Account, PollAttempt, Snapshot
from bot.store.owner import compared
from bot.store.tables import METADATA, RATE_BUDGET
from bot.store.writes import (
    PollRecord,
    SnapshotValues,
    count_snapshots,
    insert_snapshots,
    save_poll_records,
)
from tests.helpers.settings import settings_for
from tests.helpers.store import snap

T0 = datetime(2021, 1, 1, tzinfo=UTC)


def make_account(engine: Engine, platform: str = "bluesky", handle: str = "a.bsky.social") -> int:
    with Session(engine) as session:
        account_id = get_or_create(session, platform, handle, T0).id or 0
        session.commit()
        return account_id


def _compared(engine: Engine, metadata: MetaData, *, filtered: bool = True) -> list[Any]:
    """Alembic's differences between the migrated schema and ``metadata``."""
    opts: dict[str, Any] = {"compare_type": True}
    if filtered:
        opts["include_object"] = compared(engine.dialect.name)
    with engine.connect() as connection, warnings.catch_warnings():
        # SQLite's expression indexes cannot be reflected: test_folded_handles_have_their_index.
        warnings.filterwarnings("ignore", ".*expression-based index '?ix_account_platform_folded")
        return list(compare_metadata(MigrationContext.configure(connection, opts=opts), metadata))


def test_folded_handles_have_their_index(engine: Engine) -> None:
    """The any-case look-up (``lower(handle)``): a seek on PostgreSQL; the index on SQLite too,
    whose planner takes it once it has statistics (an IN list without them scans the platform's
    entries of the unique index instead)."""
    query = "SELECT id FROM account WHERE platform = 'bluesky' AND lower(handle) IN ('a', 'b')"
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            sql = "SELECT sql FROM sqlite_master WHERE name = 'ix_account_platform_folded'"
            assert "lower(handle)" in connection.execute(text(sql)).scalar_one()
            return
        connection.execute(text("SET LOCAL enable_seqscan = off"))  # an empty table else
        plan = " ".join(r[0] for r in connection.execute(text(f"EXPLAIN {query}")))
    assert "ix_account_platform_folded" in plan


def test_migrations_match_the_models(engine: Engine) -> None:
    assert _compared(engine, SQLModel.metadata) == []


def test_migrations_match_the_core_tables(engine: Engine) -> None:
    assert _compared(engine, METADATA) == []


def test_the_comparison_leaves_out_only_the_snapshot_key_postgresql_keeps_by_triggers(
    engine: Engine,
) -> None:
    found = _compared(engine, METADATA, filtered=False)
    if engine.dialect.name == "sqlite":
        assert found == []
        return
    [(action, key)] = found
    assert action == "add_fk" and key.table.name == "snapshot"
    assert [element.target_fullname for element in key.elements] == ["account.id"]


def test_an_instant_reads_back_in_utc_and_one_without_a_zone_is_refused(engine: Engine) -> None:
    paris = timezone(timedelta(hours=2))
    with engine.connect() as connection:
        read = connection.execute(
            select(literal(datetime(2024, 6, 1, 14, tzinfo=paris), UTCDateTime()))
        ).scalar_one()
        assert read == datetime(2024, 6, 1, 12, tzinfo=UTC) and read.tzinfo is UTC
        with pytest.raises(StatementError, match="has no timezone"):
            connection.execute(select(literal(datetime(2024, 6, 1), UTCDateTime())))


def test_migrate_twice_is_harmless(engine: Engine) -> None:
    migrate(engine)
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            == "0009"
        )


def test_head_is_the_scripts_head_and_a_database_behind_it_is_migrated(engine: Engine) -> None:
    # A new migration must move HEAD too: a database at the old head would skip it.
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [HEAD]
    assert at_head(engine)
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")  # each later migration's downgrade runs
    assert not at_head(engine)
    # Back at 0006, PostgreSQL has the declared key again: nothing is left out of the comparison
    # (SQLite cannot compare the expression index 0009 adds).
    found = sorted(op[0] for op in _compared(engine, METADATA, filtered=False))
    assert found == (
        ["add_index", "add_table"] if engine.dialect.name == "postgresql" else ["add_table"]
    )
    migrate(engine)
    assert at_head(engine)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(RATE_BUDGET)).scalar_one() == 0


def test_a_new_database_has_no_head(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert not at_head(engine)
    migrate(engine)
    assert at_head(engine)


def test_sqlite_file_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'bot.db'}")
    migrate(engine)
    mode = stat.S_IMODE(os.stat(tmp_path / "sub" / "bot.db").st_mode)
    assert mode == 0o600
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar_one() == 5000


def test_postgres_urls_use_psycopg() -> None:
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_bulk_insert_is_idempotent(engine: Engine) -> None:
    account_id = make_account(engine)
    rows = [snap(account_id, T0 + timedelta(days=i), 1000 + i) for i in range(1000)]
    with engine.begin() as connection:
        insert_snapshots(connection, rows)
    with engine.begin() as connection:
        insert_snapshots(connection, [*rows[:10], snap(account_id, T0 - timedelta(days=1), 1)])
    with engine.connect() as connection:
        assert count_snapshots(connection, [account_id]) == 1001
        assert connection.execute(select(func.count()).select_from(Snapshot)).scalar_one() == 1001


def test_null_counters_stay_null_and_times_come_back_utc(engine: Engine) -> None:
    account_id = make_account(engine)
    with engine.begin() as connection:
        insert_snapshots(connection, [snap(account_id, T0, None, None)])
    with engine.connect() as connection:
        [row] = history.series(connection, account_id)
    assert row.followers is None and row.posts is None
    assert row.captured_at == T0 and row.captured_at.tzinfo is not None


def test_seeks_skip_suspect_points(engine: Engine) -> None:
    account_id = make_account(engine)
    with engine.begin() as connection:
        insert_snapshots(
            connection,
            [
                snap(account_id, T0, 100),
                snap(account_id, T0 + timedelta(days=1), 0, quality=Quality.SUSPECT),
            ],
        )
    with engine.connect() as connection:
        (start, end) = history.range_endpoints(
            connection, [account_id], first=T0, last=T0 + timedelta(days=2)
        )[account_id]
        latest = history.latest(connection, [account_id])[account_id]
    assert start is not None and end is not None
    assert (start.followers, end.followers) == (100, 100)
    assert latest is not None and latest.quality == "suspect"


def test_growth_candidates_for_many_accounts(engine: Engine) -> None:
    ids = [make_account(engine, handle=f"u{i}.bsky.social") for i in range(3)]
    with engine.begin() as connection:
        insert_snapshots(
            connection,
            [
                snap(i, T0 + timedelta(hours=6 * k), 1000 * (n + 1) + k)
                for n, i in enumerate(ids)
                for k in range(40)
            ],
        )
    at = T0 + timedelta(days=9)
    with engine.connect() as connection:
        found = history.growth_candidates(
            connection, ids, at=at, target=at - timedelta(days=7), tol=timedelta(hours=3)
        )
    current, before, after = found[ids[1]]
    assert current is not None and current.captured_at == T0 + timedelta(hours=6 * 36)
    assert after is not None and after.captured_at == T0 + timedelta(days=2)
    assert before is None  # the previous point is 6 h earlier: outside the 3 h tolerance


def test_sync_accounts_adds_and_unschedules(engine: Engine) -> None:
    first = settings_for(
        accounts=[
            AccountSettings("bluesky", "a.bsky.social", "A", ("g",)),
            AccountSettings("bluesky", "b.bsky.social"),
        ]
    )
    with Session(engine) as session:
        sync_accounts(session, first, T0)
        sync_accounts(session, settings_for(["a.bsky.social"]), T0)
        a = account_by_key(session, "bluesky:A.bsky.social")
        b = account_by_key(session, "bluesky:b.bsky.social")
    assert a.next_poll_at == T0 and b.next_poll_at is None


def _record(
    account_id: int, at: datetime, obs: SnapshotValues | None, outcome: str = "ok"
) -> PollRecord:
    return PollRecord(
        account_id=account_id,
        started_at=at,
        duration_ms=5,
        outcome=outcome,
        status="active" if obs else "not_found",
        next_poll_at=at + timedelta(hours=6),
        values=obs,
        message=None if obs else "Profile not found",
    )


def test_save_poll_records_writes_snapshot_attempt_and_schedule(engine: Engine) -> None:
    account_id = make_account(engine)
    obs = SnapshotValues("did:plc:abc", 10, 2, 3, display_name="A")
    with engine.begin() as connection:
        save_poll_records(connection, [_record(account_id, T0, obs)])
    with Session(engine) as session:
        account = session.get(Account, account_id)
        attempts = session.exec(select(PollAttempt)).all()  # type: ignore[call-overload]
    assert account is not None and account.platform_id == "did:plc:abc"
    assert account.next_poll_at == T0 + timedelta(hours=6)
    assert len(attempts) == 1


def test_failed_poll_writes_no_snapshot(engine: Engine) -> None:
    account_id = make_account(engine)
    with engine.begin() as connection:
        save_poll_records(connection, [_record(account_id, T0, None, outcome="not_found")])
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Snapshot)).scalar_one() == 0
    with Session(engine) as session:
        account = session.get(Account, account_id)
        assert account is not None and account.status == "not_found"


def test_renamed_handle_adopts_the_old_history(engine: Engine) -> None:
    old = make_account(engine, handle="old.bsky.social")
    with engine.begin() as connection:
        save_poll_records(
            connection,
            [_record(old, T0, SnapshotValues("did:plc:same", 5, None, None))],
        )
    new = make_account(engine, handle="new.bsky.social")
    with Session(engine) as session:  # the config now names the new handle only
        sync_accounts(session, settings_for(["new.bsky.social"]), T0)
    later = T0 + timedelta(days=1)
    with engine.begin() as connection:
        save_poll_records(
            connection,
            [_record(new, later, SnapshotValues("did:plc:same", 6, None, None))],
        )
    with engine.connect() as connection:
        series = history.series(connection, new)
        remaining = connection.execute(select(func.count()).select_from(Account)).scalar_one()
    assert [p.followers for p in series] == [5, 6]
    assert remaining == 1


def test_a_display_name_not_reported_keeps_the_stored_one(engine: Engine) -> None:
    account_id = make_account(engine, platform="telegram", handle="@channel")
    first = SnapshotValues("-1001", 10, None, None, display_name="The Channel")
    later = SnapshotValues("-1001", 11, None, None, display_name=None)
    with engine.begin() as connection:
        save_poll_records(connection, [_record(account_id, T0, first)])
    with engine.begin() as connection:
        save_poll_records(connection, [_record(account_id, T0 + timedelta(hours=1), later)])
    with Session(engine) as session:
        account = session.get(Account, account_id)
    assert account is not None and account.display_name == "The Channel"
