"""What every ``bot`` command shares: the common options and the context they open."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import system_clock
from bot.config import Settings, load_settings
from bot.output.tables import FORMATS
from bot.output.text import CLI
from bot.store.accounts import sync_accounts
from bot.store.db import make_engine, migrate

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


@dataclass
class Context:
    """Settings and a migrated engine, built once per command."""

    settings: Settings
    engine: Engine


def command_context(
    config: Path | None, env_file: Path | None, *, sync: bool = True, fmt: str | None = None
) -> Context:
    """Check --format, load settings, open and migrate the database, sync configured accounts."""
    if fmt is not None:
        CLI.choice("format", fmt, FORMATS)
    settings = load_settings(config, env_file=env_file)
    engine = make_engine(settings.database_url)
    migrate(engine)
    if sync:
        with Session(engine) as session:
            sync_accounts(session, settings, system_clock())
    return Context(settings, engine)


def actor() -> str | None:
    """The user running the command, for the audit trail; None when the system cannot say."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None
