"""Engines and migrations: SQLite in WAL mode with a busy timeout, PostgreSQL via psycopg 3."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
)

from bot.errors import ConfigError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 5000
# The newest migration's revision. A database already at it needs no Alembic: importing it and
# walking the scripts cost every command about 0.2 s. tests/store/test_store.py holds this to the
# scripts' head, so a new migration that forgets it fails there.
HEAD = "0009"


def normalize_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    """An engine for ``DATABASE_URL``; a SQLite file is created readable by its owner only."""
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        # ValueError: a port that is not a number.
        raise ConfigError("DATABASE_URL", f"not a database URL: {url.split('@')[-1]!r}") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    if parsed.get_backend_name() == "postgresql":
        return _postgres_engine(url)
    raise ConfigError(
        "DATABASE_URL",
        f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql",
    )


def _sqlite_engine(url: str, database: str | None) -> Engine:
    """SQLite with WAL, a busy timeout and foreign keys; the file made 0600 before first use."""
    if database and database != ":memory:":
        path = Path(database)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if database and database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def _postgres_engine(url: str) -> Engine:
    """PostgreSQL without JIT compilation (the bot's reads are many small index seeks), READ
    COMMITTED whatever the server's default (the snapshot key's triggers need it, migration
    0008)."""
    engine = create_engine(
        url, pool_pre_ping=True, pool_size=5, max_overflow=5, isolation_level="READ COMMITTED"
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # A growth query of 10,000 accounts is 30,000 seeks of microseconds each; their summed
        # cost estimate passes jit_above_cost and JIT then spends seconds compiling it.
        dbapi_connection.autocommit = True
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.autocommit = False

    return engine


def alembic_config() -> Config:
    """An Alembic config that needs no ini file on disk."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest revision (every command does this before its work)."""
    if at_head(engine):
        return
    from alembic import command

    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OperationalError as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise ConfigError("DATABASE_URL", f"cannot open {where}: {exc.orig}") from None


def at_head(engine: Engine) -> bool:
    """Whether the database's schema is at ``HEAD`` already (False when it cannot be read)."""
    try:
        with engine.connect() as connection:
            query = text("SELECT version_num FROM alembic_version")
            versions = connection.execute(query).scalars().all()
    except (OperationalError, ProgrammingError):
        # No such table (a new database), or none reachable: ``migrate`` says which.
        return False
    return versions == [HEAD]


def pending_migrations(engine: Engine) -> list[str]:
    """Revisions this database still lacks, oldest first (empty: up to date); never applies any."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    try:
        with engine.connect() as connection:
            applied = set(MigrationContext.configure(connection).get_current_heads())
    except OperationalError as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise ConfigError("DATABASE_URL", f"cannot open {where}: {exc.orig}") from None
    pending = []
    # From head down to the applied revision: the migrations are one line of history.
    for revision in script.walk_revisions():
        if revision.revision in applied:
            break
        pending.append(revision.revision)
    return pending[::-1]


def ping(engine: Engine) -> None:
    """Run ``SELECT 1``: raises when the database cannot be reached."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def is_outage(exc: BaseException) -> bool:
    """True when ``exc`` says the database cannot be reached (not that a row was refused)."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated
