"""Corrections on SQLite and PostgreSQL: each change is written with its audit row, and undone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from bot.kinds import CorrectionAction, Quality, Source
from bot.store import corrections, history
from bot.store.accounts import get_or_create
from bot.store.corrections import Audit, Change
from bot.store.tables import CORRECTION, SNAPSHOT
from bot.store.writes import insert_snapshots
from tests.helpers.store import snap

T0 = datetime(2021, 1, 1, tzinfo=UTC)
AUDIT = Audit(origin="bot correct", actor="tester", at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC))


def _history(engine: Engine) -> int:
    """An account with three daily snapshots: 1,000, 1,010 and 1,020 followers."""
    with Session(engine) as session:
        account_id = get_or_create(session, "x", "DGSN_MAROC", T0).id or 0
        session.commit()
    with engine.begin() as connection:
        insert_snapshots(
            connection,
            [snap(account_id, T0 + timedelta(days=i), 1000 + 10 * i, 50 + i) for i in range(3)],
        )
    return account_id


def _stored(engine: Engine, account_id: int, day: int) -> corrections.StoredSnapshot | None:
    at = T0 + timedelta(days=day)
    with engine.connect() as connection:
        found = corrections.stored_snapshots(connection, account_id, first=at, last=at)
    return found[0] if found else None


def _apply(engine: Engine, account_id: int, day: int, change: Change) -> int | None:
    target = _stored(engine, account_id, day)
    assert target is not None
    with engine.begin() as connection:
        return corrections.apply(connection, target, change, AUDIT)


def _undo(engine: Engine, correction_id: int) -> bool:
    with engine.begin() as connection:
        record = corrections.get(connection, correction_id)
        assert record is not None
        return corrections.undo(connection, record, at=AUDIT.at + timedelta(hours=1))


@pytest.mark.parametrize(
    ("change", "field", "old", "new", "check"),
    [
        (Change.mark(Quality.SUSPECT), "quality", "ok", "suspect", ("quality", "suspect")),
        (Change.set_count("followers", 1234), "followers", 1010, 1234, ("followers", 1234)),
        (Change.set_count("posts", 7), "posts", 51, 7, ("posts", 7)),
    ],
    ids=["mark-suspect", "followers", "posts"],
)
def test_a_change_is_stored_with_its_audit_row_and_undone(
    engine: Engine, change: Change, field: str, old: object, new: object, check: tuple[str, object]
) -> None:
    account_id = _history(engine)
    correction_id = _apply(engine, account_id, 1, change)
    assert correction_id is not None
    changed = _stored(engine, account_id, 1)
    assert changed is not None and getattr(changed, check[0]) == check[1]
    [record] = _records(engine)
    assert (record.id, record.action, record.field) == (correction_id, change.action, field)
    assert (record.old, record.new, record.origin, record.actor) == (
        old,
        new,
        "bot correct",
        "tester",
    )
    assert (record.captured_at, record.at, record.undone_at) == (
        T0 + timedelta(days=1),
        AUDIT.at,
        None,
    )
    assert (record.platform, record.handle) == ("x", "DGSN_MAROC")
    assert _undo(engine, correction_id)
    restored = _stored(engine, account_id, 1)
    assert restored is not None
    assert (restored.followers, restored.posts, restored.quality) == (1010, 51, Quality.OK)
    [after] = _records(engine)
    assert after.undone_at == AUDIT.at + timedelta(hours=1)


def test_mark_ok_clears_a_suspect_point(engine: Engine) -> None:
    account_id = _history(engine)
    _apply(engine, account_id, 2, Change.mark(Quality.SUSPECT))
    with engine.connect() as connection:
        [(_, end)] = history.range_endpoints(
            connection, [account_id], first=T0, last=T0 + timedelta(days=9)
        ).values()
    assert end is not None and end.followers == 1010  # the suspect point is left out
    assert _apply(engine, account_id, 2, Change.mark(Quality.OK)) is not None
    with engine.connect() as connection:
        [(_, end)] = history.range_endpoints(
            connection, [account_id], first=T0, last=T0 + timedelta(days=9)
        ).values()
    assert end is not None and end.followers == 1020
    assert [r.action for r in _records(engine)] == [
        CorrectionAction.MARK_SUSPECT,
        CorrectionAction.MARK_OK,
    ]


def test_delete_keeps_the_whole_row_and_undo_puts_it_back(engine: Engine) -> None:
    account_id = _history(engine)
    correction_id = _apply(engine, account_id, 1, Change.delete())
    assert correction_id is not None and _stored(engine, account_id, 1) is None
    [record] = _records(engine)
    assert record.new is None
    assert record.old == {
        "followers": 1010,
        "following": None,
        "posts": 51,
        "extra": None,
        "precision": 1,
        "source": "import",
        "quality": "ok",
    }
    assert _undo(engine, correction_id)
    back = _stored(engine, account_id, 1)
    assert back is not None
    assert (back.followers, back.posts, back.source, back.quality) == (
        1010,
        51,
        Source.IMPORT,
        Quality.OK,
    )


def test_a_change_that_changes_nothing_writes_nothing(engine: Engine) -> None:
    account_id = _history(engine)
    assert _apply(engine, account_id, 1, Change.mark(Quality.OK)) is None
    assert _apply(engine, account_id, 1, Change.set_count("followers", 1010)) is None
    assert _records(engine) == []


def test_the_audit_row_and_the_change_share_one_transaction(engine: Engine) -> None:
    account_id = _history(engine)
    target = _stored(engine, account_id, 1)
    assert target is not None
    with pytest.raises(RuntimeError), engine.begin() as connection:
        corrections.apply(connection, target, Change.set_count("followers", 5), AUDIT)
        raise RuntimeError("the command failed after writing")
    stored = _stored(engine, account_id, 1)
    assert stored is not None and stored.followers == 1010
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(CORRECTION)).scalar_one() == 0


def test_later_corrections_of_the_same_snapshot_are_found(engine: Engine) -> None:
    account_id = _history(engine)
    first = _apply(engine, account_id, 1, Change.set_count("followers", 1))
    _apply(engine, account_id, 2, Change.set_count("followers", 2))  # another snapshot
    assert first is not None
    with engine.connect() as connection:
        record = corrections.get(connection, first)
        assert record is not None and corrections.later_change(connection, record) is None
    second = _apply(engine, account_id, 1, Change.mark(Quality.SUSPECT))
    with engine.connect() as connection:
        record = corrections.get(connection, first)
        assert record is not None and corrections.later_change(connection, record) == second
    assert second is not None and _undo(engine, second)
    with engine.connect() as connection:
        record = corrections.get(connection, first)
        assert record is not None and corrections.later_change(connection, record) is None


def test_replace_existing_overwrites_different_rows_and_audits_them(engine: Engine) -> None:
    account_id = _history(engine)
    rows = [
        snap(account_id, T0, 1000, 50),  # the same values: left alone
        snap(account_id, T0 + timedelta(days=1), 1011, 51),  # different: replaced
        snap(account_id, T0 + timedelta(days=5), 2000, 60),  # new: not this function's job
    ]
    with engine.begin() as connection:
        replaced = corrections.replace_existing(connection, rows, AUDIT)
    assert replaced == 1
    stored = _stored(engine, account_id, 1)
    assert stored is not None and stored.followers == 1011
    [record] = _records(engine)
    assert (record.action, record.field) == (CorrectionAction.REPLACE, "snapshot")
    assert record.old is not None and record.new is not None
    assert (record.old["followers"], record.new["followers"]) == (1010, 1011)
    assert _undo(engine, record.id)
    restored = _stored(engine, account_id, 1)
    assert restored is not None and restored.followers == 1010
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(SNAPSHOT)).scalar_one()
    assert total == 3


def test_undo_of_a_delete_refuses_when_the_instant_is_taken_again(engine: Engine) -> None:
    account_id = _history(engine)
    correction_id = _apply(engine, account_id, 1, Change.delete())
    assert correction_id is not None
    with engine.begin() as connection:
        insert_snapshots(connection, [snap(account_id, T0 + timedelta(days=1), 999)])
    assert not _undo_allowed(engine, correction_id)


def _undo_allowed(engine: Engine, correction_id: int) -> bool:
    with engine.begin() as connection:
        record = corrections.get(connection, correction_id)
        assert record is not None
        return corrections.undo(connection, record, at=AUDIT.at)


def _records(engine: Engine) -> list[corrections.CorrectionRecord]:
    with engine.connect() as connection:
        return corrections.listing(connection)
