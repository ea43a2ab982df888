"""The config's [[accounts]] as a declared set: nothing done when unchanged, a diff otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, select, update

from bot.config import AccountSettings, Settings
from bot.intervals import account_interval
from bot.kinds import AccountOrigin, AccountStatus
from bot.store.declared import SyncResult, sync_declared
from bot.store.managed import insert_accounts
from bot.store.tables import ACCOUNT

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def declared(*entries: tuple[str, str | None], poll: str = "6h") -> Settings:
    """Bluesky accounts (handle, label); ``poll`` is bot.poll_interval."""
    hours = int(poll.removesuffix("h"))
    return Settings(
        poll_interval=timedelta(hours=hours),
        accounts=tuple(
            AccountSettings(platform="bluesky", handle=h, label=label) for h, label in entries
        ),
    )


def sync(engine: Engine, settings: Settings, at: datetime = T0) -> SyncResult:
    with engine.begin() as connection:
        return sync_declared(connection, settings, at)


def rows(engine: Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        found = connection.execute(select(ACCOUNT).order_by(ACCOUNT.c.id)).all()
    return {r.handle: r for r in found}


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement ``engine`` runs inside the block."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.strip().split()[0].upper())

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_an_unchanged_file_costs_one_select_and_writes_nothing(engine: Engine) -> None:
    settings = declared(("a.bsky.social", "A"), ("b.bsky.social", None))
    first = sync(engine, settings)
    assert first == SyncResult(unchanged=False, added=2)
    with engine.begin() as connection:  # a change the file did not make must survive
        connection.execute(update(ACCOUNT).values(label="edited in the database"))
    with statements(engine) as seen:
        again = sync(engine, settings, T0 + timedelta(days=1))
    assert again.unchanged
    assert seen == ["SELECT"]
    assert {r.label for r in rows(engine).values()} == {"edited in the database"}


def test_a_changed_file_applies_only_the_difference(engine: Engine) -> None:
    sync(engine, declared(("a.bsky.social", "A"), ("b.bsky.social", "B"), ("c.bsky.social", "C")))
    before = rows(engine)
    result = sync(
        engine,
        declared(("a.bsky.social", "A"), ("b.bsky.social", "B2"), ("d.bsky.social", "D")),
        T0 + timedelta(hours=1),
    )
    assert result == SyncResult(unchanged=False, added=1, changed=1, retired=1)
    after = rows(engine)
    assert after["b.bsky.social"].label == "B2"
    assert after["c.bsky.social"].status == AccountStatus.REMOVED
    assert after["c.bsky.social"].next_poll_at is None
    assert after["d.bsky.social"].next_poll_at == T0 + timedelta(hours=1)
    # Untouched: the same due time, not re-scheduled by the sync.
    assert after["a.bsky.social"].next_poll_at == before["a.bsky.social"].next_poll_at
    # Declared again: live again, with the same row (and so its history).
    sync(engine, declared(("c.bsky.social", "C")), T0 + timedelta(hours=2))
    back = rows(engine)["c.bsky.social"]
    assert back.id == before["c.bsky.social"].id and back.status == AccountStatus.ACTIVE


def test_accounts_added_elsewhere_are_never_retired_by_the_file(engine: Engine) -> None:
    with engine.begin() as connection:
        entry = AccountSettings(platform="bluesky", handle="cli.bsky.social", label="mine")
        insert_accounts(connection, [entry], AccountOrigin.CLI, T0)
    sync(engine, declared(("a.bsky.social", "A")))
    sync(engine, declared(("b.bsky.social", "B")))
    stored = rows(engine)
    assert stored["cli.bsky.social"].status == AccountStatus.ACTIVE
    assert stored["cli.bsky.social"].origin == AccountOrigin.CLI
    assert stored["a.bsky.social"].status == AccountStatus.REMOVED


def test_the_file_takes_over_an_account_it_comes_to_declare(engine: Engine) -> None:
    with engine.begin() as connection:
        entry = AccountSettings(platform="x", handle="Shared", label="cli", any_case=True)
        insert_accounts(connection, [entry], AccountOrigin.CLI, T0)
    # X names are one account in any case: the stored spelling stays.
    file = AccountSettings(platform="x", handle="shared", label="file", any_case=True)
    sync(engine, Settings(accounts=(file,)))
    row = rows(engine)["Shared"]
    assert (row.origin, row.label) == (AccountOrigin.CONFIG, "file")
    assert len(rows(engine)) == 1


def test_a_paused_account_stays_paused_when_the_file_changes(engine: Engine) -> None:
    sync(engine, declared(("a.bsky.social", "A")))
    with engine.begin() as connection:
        connection.execute(update(ACCOUNT).values(status=AccountStatus.PAUSED))
    sync(engine, declared(("a.bsky.social", "renamed")))
    row = rows(engine)["a.bsky.social"]
    assert (row.status, row.label) == (AccountStatus.PAUSED, "renamed")


def test_the_default_interval_is_read_not_stored(engine: Engine) -> None:
    own = AccountSettings(platform="bluesky", handle="own.bsky.social", interval=timedelta(hours=1))
    settings = Settings(
        poll_interval=timedelta(hours=6),
        accounts=(own, AccountSettings(platform="bluesky", handle="d.bsky.social")),
    )
    sync(engine, settings)
    stored = rows(engine)
    assert stored["own.bsky.social"].interval_seconds == 3600
    assert stored["d.bsky.social"].interval_seconds is None
    assert account_interval(settings, stored["d.bsky.social"]) == timedelta(hours=6)
    # Another bot.poll_interval: the same declared set, and the new default applies at once.
    faster = Settings(poll_interval=timedelta(hours=2), accounts=settings.accounts)
    assert sync(engine, faster).unchanged
    assert account_interval(faster, rows(engine)["d.bsky.social"]) == timedelta(hours=2)
    assert account_interval(faster, rows(engine)["own.bsky.social"]) == timedelta(hours=1)
    # A new interval in the file is a change of the declared set.
    slower = AccountSettings(
        platform="bluesky", handle="own.bsky.social", interval=timedelta(hours=3)
    )
    assert not sync(engine, Settings(accounts=(slower, settings.accounts[1]))).unchanged
    assert rows(engine)["own.bsky.social"].interval_seconds == 3 * 3600


def test_removed_and_history_only_accounts_are_not_scheduled(engine: Engine) -> None:
    settings = declared(("a.bsky.social", "A"))
    sync(engine, settings)
    sync(engine, declared(("b.bsky.social", "B")))
    assert account_interval(settings, rows(engine)["a.bsky.social"]) is None
    with engine.begin() as connection:
        connection.execute(update(ACCOUNT).values(origin=None))
    assert account_interval(settings, rows(engine)["b.bsky.social"]) is None


def test_migration_0006_marks_the_rows_the_config_scheduled(engine: Engine) -> None:
    from alembic import command
    from sqlalchemy import text

    from bot.store.db import alembic_config

    config = alembic_config()

    def to(revision: str, step: Any) -> None:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            step(config, revision)

    to("0005", command.downgrade)  # a database of the previous release, with its data
    with engine.begin() as connection:
        for handle, due in (("polled.bsky.social", T0), ("history.bsky.social", None)):
            connection.execute(
                text(
                    "INSERT INTO account (platform, handle, groups, status, created_at,"
                    " next_poll_at) VALUES ('bluesky', :handle, '[]', 'active', :at, :due)"
                ),
                {"handle": handle, "at": T0, "due": due},
            )
    to("head", command.upgrade)
    stored = rows(engine)
    assert stored["polled.bsky.social"].origin == AccountOrigin.CONFIG
    assert stored["history.bsky.social"].origin is None
    assert stored["polled.bsky.social"].interval_seconds is None
    # The first sync after the upgrade applies the file: the old rows are matched, not doubled.
    sync(engine, declared(("polled.bsky.social", "P")))
    assert len(rows(engine)) == 2 and rows(engine)["polled.bsky.social"].label == "P"
