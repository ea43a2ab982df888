"""The typed table handles, the chunking helper and the dialect-aware insert."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

import bot.store
from bot.store.models import (
    Account,
    Correction,
    DigestRun,
    PlatformState,
    PollAttempt,
    PublishedFigure,
    Snapshot,
)
from bot.store.tables import (
    ACCOUNT,
    CHUNK,
    CORRECTION,
    DIGEST_RUN,
    PLATFORM_STATE,
    POLL_ATTEMPT,
    PUBLISHED_FIGURE,
    SNAPSHOT,
    chunks,
    insert_new,
)

T0 = datetime(2021, 1, 1, tzinfo=UTC)
# DESIGN.md: never store -> platforms/daemon/faces; the store reads nothing above it.
FORBIDDEN = ("platforms", "daemon", "cli", "api", "http", "query", "digest", "io", "simulator")


def test_handles_are_the_models_tables() -> None:
    pairs = [
        (ACCOUNT, Account),
        (SNAPSHOT, Snapshot),
        (POLL_ATTEMPT, PollAttempt),
        (DIGEST_RUN, DigestRun),
        (PLATFORM_STATE, PlatformState),
        (PUBLISHED_FIGURE, PublishedFigure),
        (CORRECTION, Correction),
    ]
    for table, model in pairs:
        assert table is model.__table__  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("length", "size", "expected"),
    [
        (0, CHUNK, []),
        (1, CHUNK, [1]),
        (CHUNK, CHUNK, [CHUNK]),
        (2 * CHUNK + 1, CHUNK, [CHUNK, CHUNK, 1]),
        (7, 3, [3, 3, 1]),
    ],
)
def test_chunks_cover_the_items_in_order(length: int, size: int, expected: list[int]) -> None:
    items = list(range(length))
    pieces = list(chunks(items, size))
    assert [len(piece) for piece in pieces] == expected
    assert [item for piece in pieces for item in piece] == items


def test_insert_new_skips_a_row_whose_unique_key_exists(engine: Engine) -> None:
    row = {"digest_date": date(2021, 1, 1), "channel": "files", "status": "sent", "attempts": 1}
    statement = insert_new(engine.dialect, DIGEST_RUN, unique=["digest_date", "channel"])
    with engine.begin() as connection:
        connection.execute(statement, [row, {**row, "channel": "mail"}])
    with engine.begin() as connection:
        connection.execute(statement, [{**row, "status": "failed", "attempts": 9}])
    with engine.connect() as connection:
        rows = connection.execute(select(DIGEST_RUN.c.status, DIGEST_RUN.c.attempts)).all()
        count = connection.execute(select(func.count()).select_from(DIGEST_RUN)).scalar_one()
    assert count == 2
    assert sorted(rows) == [("sent", 1), ("sent", 1)]


def _imports(path: Path) -> set[str]:
    """Every module a file imports, function-level imports included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_store_imports_nothing_above_it() -> None:
    root = Path(bot.store.__file__).parent
    wrong = {
        f"{path.relative_to(root)}: {module}"
        for path in root.rglob("*.py")
        for module in _imports(path)
        if module.split(".")[:2] in (["bot", name] for name in FORBIDDEN)
    }
    assert not wrong
