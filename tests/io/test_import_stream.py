"""`bot import` streams its file: batches in one transaction, duplicates across batches, memory."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from bot.config import Settings
from bot.errors import InputError
from bot.io import load
from bot.io.load import import_history
from bot.store.models import Account, Snapshot

NOW = datetime(2026, 1, 1, tzinfo=UTC)
T0 = datetime(2025, 1, 1, tzinfo=UTC)
HEADER = "platform,handle,captured_at,followers,following,posts\n"


def rows(n: int, accounts: int = 10) -> str:
    lines = []
    for i in range(n):
        at = (T0 + timedelta(minutes=i // accounts)).isoformat().replace("+00:00", "Z")
        lines.append(f"bluesky,a{i % accounts}.bsky.social,{at},{1000 + i},,\n")
    return "".join(lines)


def stored(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        return (
            connection.execute(select(func.count()).select_from(Account)).scalar_one(),
            connection.execute(select(func.count()).select_from(Snapshot)).scalar_one(),
        )


def test_a_duplicate_in_a_later_batch_is_refused_and_nothing_is_stored(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load, "BATCH", 3)
    path = tmp_path / "history.csv"
    first = "bluesky,a.bsky.social,2025-01-01T00:00:00Z,1000,,\n"
    path.write_text(HEADER + first + rows(6) + first)
    with pytest.raises(InputError) as caught:
        import_history(engine, Settings(), path, NOW)
    assert str(caught.value) == (
        f"{path}:9: duplicate of line 2: bluesky:a.bsky.social at 2025-01-01T00:00:00Z"
    )
    assert stored(engine) == (0, 0)


def test_a_bad_row_after_many_batches_leaves_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load, "BATCH", 4)
    path = tmp_path / "history.csv"
    path.write_text(HEADER + rows(40) + "bluesky,z.bsky.social,2025-01-01,-1,,\n" + rows(3))
    with pytest.raises(InputError, match=r":42: followers -1 is negative \(and 3 more errors\)"):
        import_history(engine, Settings(), path, NOW)
    assert stored(engine) == (0, 0)


def test_a_good_file_in_many_batches_is_all_stored_once(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load, "BATCH", 7)
    path = tmp_path / "history.csv"
    path.write_text(HEADER + rows(50))
    counts = import_history(engine, Settings(), path, NOW)
    assert (counts.read, counts.added) == (50, 50)
    assert import_history(engine, Settings(), path, NOW).added == 0
    assert stored(engine) == (10, 50)


def peak(engine: Engine, path: Path) -> int:
    tracemalloc.start()
    try:
        import_history(engine, Settings(), path, NOW)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_memory_does_not_grow_with_the_file(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load, "BATCH", 1000)  # both files several batches long
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    small.write_text(HEADER + rows(3_000))
    large.write_text(HEADER + rows(12_000).replace("bluesky,a", "bluesky,b"))
    first = peak(engine, small)
    second = peak(engine, large)
    # Four times the rows: the peak stays that of a batch, not of the file.
    assert second < first * 1.5, (first, second)
