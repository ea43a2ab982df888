"""What every ``bot`` command shares: the Typer app, the common options, the context."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import system_clock
from bot.config import Settings, load_settings
from bot.store.accounts import sync_accounts
from bot.store.db import make_engine, migrate
from bot.tables import FORMATS

app = typer.Typer(
    help="Poll public social accounts' counters, store snapshots, report growth.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

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
        check_format(fmt)
    settings = load_settings(config, env_file=env_file)
    engine = make_engine(settings.database_url)
    migrate(engine)
    if sync:
        with Session(engine) as session:
            sync_accounts(session, settings, system_clock())
    return Context(settings, engine)


def check_format(
    fmt: str, allowed: tuple[str, ...] = FORMATS, *, param_hint: str = "--format"
) -> str:
    """Refuse an unknown --format with a usage error."""
    if fmt not in allowed:
        raise typer.BadParameter(
            f"expected one of {', '.join(allowed)}, got {fmt!r}", param_hint=param_hint
        )
    return fmt
