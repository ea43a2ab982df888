"""``bot check``: is the setup right? Config, .env, database, one cheap request per platform."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.options import ConfigOpt, EnvOpt, FormatOpt
from bot.clock import system_clock
from bot.errors import ConfigError
from bot.output.tables import FORMATS, Column, redacted, render
from bot.output.text import CLI

if TYPE_CHECKING:
    from bot.checks import PlatformCheck
    from bot.config import Settings

COLUMNS = (
    Column("platform", "Platform"),
    Column("credentials", "Credentials"),
    Column("state", "Request"),
    Column("detail", "Says", from_platform=True),
    Column("budget", "Budget"),
    Column("accounts", "Accounts", numeric=True),
)


def check(
    offline: Annotated[
        bool, typer.Option("--offline", help="Send no platform request: config, .env, database.")
    ] = False,
    fmt: FormatOpt = "table",
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Check the setup: config, .env, database, and one cheap real request per platform."""
    from bot.collector import settle
    from bot.config import load_settings
    from bot.daemon.logs import redact_secrets
    from bot.http.redact import Redactor

    CLI.choice("format", fmt, FORMATS)
    settings = load_settings(config, env_file=env_file)
    settle()
    redactor = Redactor(settings.secret_values())
    redact_secrets(redactor)
    database, database_ok = _database(settings)
    rows = asyncio.run(_platform_rows(settings, offline=offline))
    # No account is nothing to poll: not a setup that works yet.
    ready = database_ok and bool(rows) and all(row.ready for row in rows)
    found = redacted([_row(r) for r in rows], COLUMNS, redactor)
    summary = _summary(settings, env_file, database)
    if fmt == "table":
        for key, value in summary.items():
            typer.echo(f"{key}: {redactor(value)}")
    document = {**summary, "platforms": found, "ready": ready}
    render(found, COLUMNS, fmt, title="Platforms in use", document=document)
    if fmt == "table":
        why = "see the rows above" if rows else "no [[accounts]] configured"
        typer.echo("ready" if ready else f"not ready: {why}")
    if not ready:
        raise typer.Exit(1)


async def _platform_rows(settings: Settings, *, offline: bool) -> list[PlatformCheck]:
    """Every platform's row; a client only when requests are allowed."""
    from bot.checks import check_settings
    from bot.http.client import make_client

    if offline:
        return await check_settings(settings, system_clock, None, offline=True)
    async with make_client(user_agent=settings.user_agent) as client:
        return await check_settings(settings, system_clock, client)


def _database(settings: Settings) -> tuple[str, bool]:
    """Whether the database opens and which migrations ``bot run`` would still apply."""
    from bot.store.db import make_engine, pending_migrations

    engine = make_engine(settings.database_url)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        pending = pending_migrations(engine)
    except ConfigError as exc:
        return exc.problem, False
    finally:
        engine.dispose()
    if pending:
        return f"{shown}: {len(pending)} migration(s) pending, applied by the next command", True
    return f"{shown}: schema up to date", True


def _summary(settings: Settings, env_file: Path | None, database: str) -> dict[str, str]:
    """The lines before the table: which files were read and what the database said."""
    env = env_file or Path(".env")
    accounts = len(settings.accounts)
    return {
        "config": f"{settings.config_path or 'none (built-in defaults)'} ({accounts} accounts)",
        "env": str(env) if env.is_file() else "none (environment only)",
        "database": database,
    }


def _row(check: PlatformCheck) -> dict[str, Any]:
    """A check as a table row."""
    return {
        "platform": check.platform,
        "credentials": check.credentials,
        "state": str(check.state),
        "detail": check.detail,
        "budget": check.budget,
        "accounts": check.accounts,
    }
