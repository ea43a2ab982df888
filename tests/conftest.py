"""Shared fixtures: every store and command test runs on SQLite and on PostgreSQL.

PostgreSQL is never skipped: when it cannot be reached the tests fail, so CI cannot pass
without having exercised it. Each test gets a fresh schema in the ``test`` database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from bot.store.db import make_engine, migrate

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FIXTURES = Path(__file__).parent / "fixtures"


def _postgres_engine() -> Iterator[Engine]:
    """A migrated engine whose connections live in a throwaway schema."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        sqlite_engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
        migrate(sqlite_engine)
        yield sqlite_engine
        sqlite_engine.dispose()
    else:
        yield from _postgres_engine()


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def pg_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated PostgreSQL schema only: for tests of several workers sharing one database."""
    yield from _postgres_engine()


@pytest.fixture
def database_url(engine: Engine, tmp_path: Path) -> str:
    """The URL of the ``engine`` fixture's database, for subprocess-free CLI tests."""
    return engine.url.render_as_string(hide_password=False)


CHROMIUM = Path("/usr/bin/chromium")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Simulator subprocesses and browsers make process tests; no browser outside CI: skipped."""
    no_browser = pytest.mark.skip(reason="needs Debian's chromium (apt-get install chromium)")
    for item in items:
        if "simulator" in getattr(item, "fixturenames", ()) or "browser" in item.keywords:
            item.add_marker(pytest.mark.process)
        if "browser" in item.keywords and not CHROMIUM.exists() and not os.environ.get("CI"):
            item.add_marker(no_browser)


_skipped_postgres: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember PostgreSQL tests that were skipped."""
    if report.skipped and "postgres" in report.keywords:
        _skipped_postgres.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skipped PostgreSQL test fails the run: CI must exercise both databases."""
    if _skipped_postgres:
        print(f"\n{len(_skipped_postgres)} PostgreSQL tests were skipped: failing the run")
        session.exitstatus = 1


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[str]:
    """`bot simulate --port 0` in a subprocess; yields its base URL."""
    from tests.helpers.processes import simulate, simulator_url

    with simulate(tmp_path) as line:
        yield simulator_url(line)


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, engine: Engine, database_url: str
) -> Path:
    """A config in Europe/Paris with no accounts (the digest takes every stored one)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "accounts.toml").write_text('[bot]\ntimezone = "Europe/Paris"\n')
    monkeypatch.setenv("BOT_CONFIG", str(tmp_path / "accounts.toml"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("BOT_NOTIFY", raising=False)
    return tmp_path
