"""`bot import`'s bulk paths on SQLite and PostgreSQL: rows straight in (COPY or one prepared
INSERT), staged rows merged, second rows found in either, and the gate skipped only when every
verdict would be ``ok``."""

from __future__ import annotations

import gc
import random
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.config import Settings
from bot.errors import InputError
from bot.io import load
from bot.io.load import import_history
from bot.quality import Judged, judge
from bot.store import imports
from bot.store.models import Account, Snapshot

NOW = datetime(2026, 1, 1, tzinfo=UTC)
T0 = datetime(2025, 1, 1, tzinfo=UTC)
HEADER = "platform,handle,captured_at,followers,following,posts\n"


def _at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def _stored(engine: Engine) -> list[tuple[str, str, datetime, int | None, int | None, str]]:
    """Every snapshot as (platform, handle, instant, followers, posts, quality), in order."""
    with Session(engine) as session:
        rows = session.exec(
            select(
                Account.platform,
                Account.handle,
                Snapshot.captured_at,
                Snapshot.followers,
                Snapshot.posts,
                Snapshot.quality,
            )
            .join(Account, Account.id == Snapshot.account_id)  # type: ignore[arg-type]
            .order_by(Account.handle, Snapshot.captured_at)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _count(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        return (
            connection.execute(select(func.count()).select_from(Account)).scalar_one(),
            connection.execute(select(func.count()).select_from(Snapshot)).scalar_one(),
        )


def _import(engine: Engine, path: Path, text: str) -> load.ImportCounts:
    path.write_text(text)
    return import_history(engine, Settings(), path, NOW)


def test_rows_meeting_stored_ones_are_staged_and_the_new_ones_merged(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load, "BATCH", 4)
    first = "".join(f"bluesky,a.bsky.social,{_at(m)},{1000 + m},,\n" for m in range(0, 10, 2))
    assert _import(engine, tmp_path / "first.csv", HEADER + first).added == 5
    # The same account again: every other row is stored already, the rest is new.
    again = "".join(f"bluesky,a.bsky.social,{_at(m)},{1000 + m},,{m}\n" for m in range(10))
    counts = _import(engine, tmp_path / "again.csv", HEADER + again)
    assert (counts.read, counts.added, counts.replaced) == (10, 5, 0)
    stored = _stored(engine)
    assert [(r[2], r[3], r[4]) for r in stored] == [
        (T0 + timedelta(minutes=m), 1000 + m, None if m % 2 == 0 else m) for m in range(10)
    ]
    assert _import(engine, tmp_path / "again.csv", HEADER + again).added == 0


def test_a_bad_last_row_after_rows_sent_straight_in_leaves_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load, "BATCH", 5)
    good = "".join(f"x,dgsn,{_at(m)},{5000 + m},1,2\n" for m in range(23))
    collecting = gc.isenabled()
    with pytest.raises(InputError) as caught:
        _import(engine, tmp_path / "bad.csv", HEADER + good + "x,dgsn,2025-02-01,12 345,,\n")
    assert str(caught.value).startswith(f"{tmp_path / 'bad.csv'}:25: followers '12 345' has a")
    assert _count(engine) == (0, 0)
    assert gc.isenabled() == collecting  # the import's pause on the collector (bot/collector.py)


def test_quoted_cells_empty_counts_and_an_exported_id_with_commas_and_quotes(
    engine: Engine, tmp_path: Path
) -> None:
    header = "platform,handle,captured_at,followers,following,posts,source,quality,platform_id\n"
    text = header + (
        '"x","dgsn","2025-01-01T00:00:00.5Z","1000","","","poll","ok","Zoë, ""the"" id"\n'
        'x,dgsn,2025-01-02T00:00:00Z,,,7,,,\n'
    )
    counts = _import(engine, tmp_path / "quoted.csv", text)
    assert (counts.read, counts.added) == (2, 2)
    assert _stored(engine) == [
        ("x", "dgsn", T0 + timedelta(microseconds=500_000), 1000, None, "ok"),
        ("x", "dgsn", T0 + timedelta(days=1), None, 7, "ok"),
    ]
    with Session(engine) as session:
        [account] = session.exec(select(Account)).all()
    assert account.platform_id == 'Zoë, "the" id'
    # Stored as SQLAlchemy stores them: a second import finds every instant.
    assert _import(engine, tmp_path / "quoted.csv", text).added == 0


def test_a_second_row_names_the_first_ones_line_wherever_each_went(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load, "BATCH", 3)
    # Newest first: after its first row the account's rows are staged, not sent straight in.
    rows = [f"x,dgsn,{_at(m)},{100 + m},,\n" for m in (5, 4, 3, 2, 1)]
    path = tmp_path / "dup.csv"
    with pytest.raises(InputError) as caught:
        _import(engine, path, HEADER + "".join(rows) + rows[2])
    assert str(caught.value) == (
        f"{path}:7: duplicate of line 4: x:dgsn at 2025-01-01T00:03:00Z"
    )
    # In order, then back to the first instant: the first went straight in.
    with pytest.raises(InputError) as caught:
        _import(engine, path, HEADER + "".join(reversed(rows)) + rows[-1])
    assert str(caught.value) == (
        f"{path}:7: duplicate of an earlier line: x:dgsn at 2025-01-01T00:01:00Z"
    )
    # Twice in a row.
    with pytest.raises(InputError) as caught:
        _import(engine, path, HEADER + rows[4] + rows[4])
    assert str(caught.value) == f"{path}:3: duplicate of line 2: x:dgsn at 2025-01-01T00:01:00Z"
    assert _count(engine) == (0, 0)


def test_two_new_spellings_of_one_account_in_one_batch_are_one_account(
    engine: Engine, tmp_path: Path
) -> None:
    text = HEADER + f"x,DGSN,{_at(0)},100,,\nx,dgsn,{_at(1)},101,,\nx,Dgsn,{_at(2)},102,,\n"
    counts = _import(engine, tmp_path / "case.csv", text)
    assert (counts.read, counts.added) == (3, 3)
    assert {(p, h) for p, h, *_ in _stored(engine)} == {("x", "DGSN")}


def _history(rng: random.Random, n: int) -> list[int | None]:
    """Counts with drops, spikes, zeros, gaps and small accounts now and then."""
    level = rng.choice([50, 1000, 100_000])
    counts: list[int | None] = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.08:
            counts.append(0)
        elif roll < 0.14:
            counts.append(level * rng.choice([3, 5]))
        elif roll < 0.2:
            counts.append(None)
        else:
            if roll > 0.95:
                level = max(1, level // 2)
            level = max(1, level + rng.randint(-level // 20 - 1, level // 20 + 1))
            counts.append(level)
    return counts


@pytest.mark.parametrize("seed", range(4))
def test_accounts_the_gate_skips_get_the_verdicts_it_would_give(
    engine: Engine, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    accounts = {f"a{i}.bsky.social": _history(rng, 40) for i in range(12)}
    accounts["calm.bsky.social"] = [1000 + i for i in range(40)]
    lines = [
        (handle, m, n) for handle, counts in accounts.items() for m, n in enumerate(counts)
    ]
    # One file in order (most accounts skip the gate), the same rows shuffled for a twin
    # account each (every one judged in full).
    shuffled = lines[:]
    rng.shuffle(shuffled)
    text = "".join(
        f"bluesky,{h},{_at(m * 360)},{'' if n is None else n},,\n" for h, m, n in lines
    ) + "".join(
        f"bluesky,twin-{h},{_at(m * 360)},{'' if n is None else n},,\n" for h, m, n in shuffled
    )
    _import(engine, tmp_path / "history.csv", HEADER + text)
    qualities: dict[str, list[str]] = {}
    for _, handle, _, _, _, quality in _stored(engine):
        qualities.setdefault(handle, []).append(quality)
    for handle, counts in accounts.items():
        points = [Judged(T0 + timedelta(hours=6 * m), n) for m, n in enumerate(counts)]
        expected = [str(q) for q in judge(points)]
        assert qualities[handle] == expected, handle
        assert qualities[f"twin-{handle}"] == expected, handle


def test_values_at_the_edges_are_stored_as_given_whatever_the_batch(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Several batches, so PostgreSQL's writer thread takes one while the next is built; binary
    # COPY there, one prepared INSERT on SQLite: the same rows either way.
    monkeypatch.setattr(load, "BATCH", 2)
    big = 10**18 - 1  # the largest bare count a cell takes
    text = HEADER + "".join(
        [
            "x,edge,2025-03-01T10:00:00.123456+05:30,0,,\n",
            f"x,edge,2025-03-01T10:00:01.000001-08:00,{big},{big},0\n",
            "x,edge,2025-03-02T00:00:00Z,,7,\n",
            "mastodon,a@b.social,2025-03-02T00:00:00Z,5,6,7\n",
            "x,other,2025-03-02T00:00:00Z,1,2,3\n",
        ]
    )
    counts = _import(engine, tmp_path / "edges.csv", text)
    assert (counts.read, counts.added) == (5, 5)
    offset = timedelta(hours=5, minutes=30)
    assert _stored(engine) == [
        ("mastodon", "a@b.social", datetime(2025, 3, 2, tzinfo=UTC), 5, 7, "ok"),
        ("x", "edge", datetime(2025, 3, 1, 10, 0, 0, 123456, tzinfo=UTC) - offset, 0, None, "ok"),
        ("x", "edge", datetime(2025, 3, 1, 18, 0, 1, 1, tzinfo=UTC), big, 0, "ok"),
        ("x", "edge", datetime(2025, 3, 2, tzinfo=UTC), None, None, "ok"),
        ("x", "other", datetime(2025, 3, 2, tzinfo=UTC), 1, 3, "ok"),
    ]


def test_a_write_that_fails_in_the_writer_fails_the_import_and_leaves_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load, "BATCH", 2)
    put = imports.Sink._put
    calls: list[str] = []

    def failing(self: imports.Sink, target: str, rows: Any, **kwargs: Any) -> None:
        calls.append(threading.current_thread().name)
        if len(calls) == 2:
            raise RuntimeError("the server went away")
        put(self, target, rows, **kwargs)

    monkeypatch.setattr(imports.Sink, "_put", failing)
    text = HEADER + "".join(f"x,a{i},{_at(i)},{i},,\n" for i in range(7))
    with pytest.raises(RuntimeError, match="the server went away"):
        _import(engine, tmp_path / "rows.csv", text)
    assert _count(engine) == (0, 0)
    # PostgreSQL writes in its own thread; SQLite in the importer's.
    on_postgres = engine.dialect.name == "postgresql"
    assert all(name.startswith("import-copy") == on_postgres for name in calls)
    assert not [t for t in threading.enumerate() if t.name.startswith("import-copy")]


def test_an_account_made_by_another_process_meanwhile_is_found_with_its_history(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Between the look-up and the INSERT another process adds the account and a snapshot: the
    # INSERT conflicts and returns nothing, the account is looked up again, and its rows are
    # staged (they may meet its history), not written straight in.
    assert _import(engine, tmp_path / "first.csv", HEADER + f"x,dgsn,{_at(0)},100,,\n").added
    stored = imports._stored
    looks: list[int] = []

    def blind_first(connection: Any, keys: Any) -> dict[tuple[str, str], int]:
        looks.append(len(keys))
        return {} if len(looks) == 1 else stored(connection, keys)

    monkeypatch.setattr(imports, "_stored", blind_first)
    again = HEADER + f"x,dgsn,{_at(0)},100,,\nx,dgsn,{_at(1)},101,,\n"
    counts = _import(engine, tmp_path / "again.csv", again)
    assert (counts.read, counts.added) == (2, 1)
    assert len(looks) == 2
    assert _count(engine) == (1, 2)


def test_rows_held_and_never_written_are_a_loud_error(engine: Engine) -> None:
    with engine.connect() as connection:
        with pytest.raises(RuntimeError, match="never written"), imports.Sink(connection) as sink:
            sink.hold([(1, T0, 1, None, None, 1, "import", "ok")], [])
        connection.rollback()
