"""The typed table handles, the chunking helper and the dialect-aware insert."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata, produce_migrations, render_python_code
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Dialect, Engine, Table, UniqueConstraint, create_engine, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateTable
from sqlmodel import SQLModel

import bot.store
import bot.store.models
from bot.store.tables import CHUNK, DIGEST_RUN, METADATA, chunks, insert_new

T0 = datetime(2021, 1, 1, tzinfo=UTC)
# DESIGN.md: never store -> platforms/daemon/faces; the store reads nothing above it.
FORBIDDEN = ("platforms", "daemon", "cli", "api", "http", "query", "digest", "io", "simulator")


def _described(table: Table, dialect: Dialect) -> dict[str, object]:
    """What a statement or the database sees of ``table``: DDL, defaults, keys, indexes."""
    columns = [
        (
            c.name,
            str(c.type.compile(dialect)),
            type(c.type).__name__.replace("AutoString", "String"),
            c.nullable,
            c.primary_key,
            c.autoincrement,
            None if c.default is None else c.default.arg,  # type: ignore[attr-defined]
            c.server_default,
            bool(c.unique),
            bool(c.index),
            sorted((f.target_fullname, f.ondelete) for f in c.foreign_keys),
        )
        for c in table.columns
    ]
    indexes = sorted((i.name, [c.name for c in i.columns], i.unique) for i in table.indexes)
    unique = sorted(
        (str(u.name), [c.name for c in u.columns])
        for u in table.constraints
        if isinstance(u, UniqueConstraint)
    )
    return {
        "columns": columns,
        "indexes": indexes,
        "unique": unique,
        "ddl": str(CreateTable(table).compile(dialect=dialect)),
    }


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "pg"])
def test_the_models_and_the_core_tables_agree(dialect: Dialect) -> None:
    # The Core statements and the ORM see the same schema (bot/store/tables.py says why twice).
    models, core = SQLModel.metadata.tables, METADATA.tables
    assert sorted(models) == sorted(core)
    for name in models:
        assert _described(core[name], dialect) == _described(models[name], dialect), name


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


# SQLite cannot reflect the expression index (migration 0009): Alembic says it skips it.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_a_migration_alembic_writes_from_the_models_runs(tmp_path: Path) -> None:
    # Alembic writes each column type as its repr, under the imports of script.py.mako: a type
    # whose repr does not call it as it is (UTCDateTime(timezone=True)) breaks the next revision.
    empty = create_engine(f"sqlite:///{tmp_path / 'new.db'}")
    with empty.begin() as connection:
        context = MigrationContext.configure(connection)
        code = render_python_code(produce_migrations(context, SQLModel.metadata).upgrade_ops)
        template = (Path(bot.store.__file__).parent / "migrations" / "script.py.mako").read_text()
        imports = "\n".join(
            line for line in template.splitlines() if line.startswith(("import ", "from "))
        )
        assert "UTCDateTime()" in code
        namespace: dict[str, object] = {}
        exec(imports, namespace)  # the template's own imports, as a generated script has them
        namespace["op"] = Operations(context)  # alembic's proxy, outside a migration run
        # The rendering is the body of the script's upgrade(), indented as the template puts it.
        exec(f"def upgrade():\n    {code.strip()}\n\nupgrade()", namespace)
    with empty.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, METADATA) == []
