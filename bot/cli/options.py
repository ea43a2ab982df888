"""What every ``bot`` command shares: the common options and the context they open."""

from __future__ import annotations

import atexit
import getpass
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from bot.output.tables import FORMATS
from bot.output.text import CLI

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.config import Settings
    from bot.http.redact import Redactor

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Accounts file (default: $BOT_CONFIG or config/accounts.toml)."
    ),
]
EnvOpt = Annotated[
    Path | None, typer.Option("--env-file", help="The .env file to read (default: ./.env).")
]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")]
UtcOpt = Annotated[
    bool, typer.Option("--utc", help="Tables and CSV in UTC instead of bot.timezone.")
]


@dataclass
class Context:
    """Settings, a migrated engine and the redactor of their secrets, built once per command."""

    settings: Settings
    engine: Engine
    # Masks the secrets in whatever a platform said before a command prints it.
    redact: Redactor

    def zone(self, utc: bool) -> ZoneInfo | None:
        """The zone tables and CSV show times in: ``bot.timezone``, or None (UTC) for --utc."""
        return None if utc else self.settings.timezone


def command_context(
    config: Path | None, env_file: Path | None, *, sync: bool = True, fmt: str | None = None
) -> Context:
    """Check --format, load settings, open and migrate the database, sync configured accounts."""
    # Imported here: a command's --help (and the options it shares) needs no database.
    from bot.clock import system_clock
    from bot.collector import settle
    from bot.config import load_settings
    from bot.daemon.logs import redact_secrets
    from bot.http.redact import Redactor
    from bot.store.db import make_engine, migrate
    from bot.store.declared import remember_source, sync_declared, trusted_engine

    if fmt is not None:
        CLI.choice("format", fmt, FORMATS)
    # A file the store applied before is not read past its head (bot/config/source.py).
    settings = load_settings(config, env_file=env_file, defer_accounts=sync)
    trusted = trusted_engine(settings) if sync else None
    if trusted is None:
        # Every account read and checked before the store is created or touched.
        settings = settings.resolved()
    redactor = Redactor(settings.secret_values())
    redact_secrets(redactor)
    engine = trusted or make_engine(settings.database_url)
    migrate(engine)
    if sync and trusted is None:
        with engine.begin() as connection:
            result = sync_declared(connection, settings, system_clock())
        remember_source(engine, settings, result.digest)
    # What the command reads and writes from here on is collected; its start-up is not walked.
    if settle():
        # The pool is frozen, never collected: its connections are closed at exit (SQLite then
        # merges its WAL into the database file and removes it).
        atexit.register(engine.dispose)
    return Context(settings, engine, redactor)


def actor() -> str | None:
    """The user running the command, for the audit trail; None when the system cannot say."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None
