"""``bot accounts``: the listing, and the commands that manage accounts in the database.

``bot accounts`` alone lists; ``add``, ``remove``, ``pause``, ``resume`` and ``import`` change
what is stored. The config file's ``[[accounts]]`` stay authoritative for the accounts they
declare (``bot.query.managed``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.options import ConfigOpt, EnvOpt, FormatOpt, UtcOpt, command_context
from bot.clock import system_clock

AllOpt = Annotated[bool, typer.Option("--all", help="Include removed accounts (status removed).")]
AccountArg = Annotated[str, typer.Argument(help="PLATFORM:HANDLE, e.g. bluesky:bsky.app.")]


def accounts(
    ctx: typer.Context,
    group: Annotated[str | None, typer.Option(help="Only accounts in this group.")] = None,
    all_: AllOpt = False,
    fmt: FormatOpt = "table",
    utc: UtcOpt = False,
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """List accounts with status, last poll and latest counts."""
    if ctx.invoked_subcommand is not None:
        return
    from bot.output.tables import render
    from bot.query import rows as views

    context = command_context(config, env_file, fmt=fmt)
    rows = views.account_rows(context.engine, group, removed=all_)
    render(rows, views.ACCOUNT_COLUMNS, fmt, redact=context.redact, tz=context.zone(utc))


def add(
    account: AccountArg,
    label: Annotated[str | None, typer.Option(help="The name reports show.")] = None,
    group: Annotated[
        list[str] | None, typer.Option("--group", help="A group it belongs to (repeatable).")
    ] = None,
    interval: Annotated[
        str | None, typer.Option(help="Its own poll interval, e.g. 6h (else bot.poll_interval).")
    ] = None,
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Add an account to poll, due at once (one the config file declares is changed there)."""
    from bot.query import managed

    entry = managed.declaration(
        account, label=label, groups=group or [], interval=interval, where="bot accounts add"
    )
    context = command_context(config, env_file)
    typer.echo(managed.add(context.engine, context.settings, entry, system_clock()))


def remove(account: AccountArg, config: ConfigOpt = None, env_file: EnvOpt = None) -> None:
    """Stop polling an account for good; its history stays (listed with --all)."""
    from bot.query import managed

    context = command_context(config, env_file)
    typer.echo(managed.remove(context.engine, context.settings, account))


def pause(account: AccountArg, config: ConfigOpt = None, env_file: EnvOpt = None) -> None:
    """Stop polling an account until it is resumed."""
    from bot.query import managed

    context = command_context(config, env_file)
    typer.echo(managed.pause(context.engine, account))


def resume(account: AccountArg, config: ConfigOpt = None, env_file: EnvOpt = None) -> None:
    """Poll a paused account again."""
    from bot.query import managed

    context = command_context(config, env_file)
    typer.echo(managed.resume(context.engine, account, system_clock()))


def import_accounts(
    file: Annotated[
        Path, typer.Argument(help="CSV: platform,handle,label,groups,interval; groups a|b.")
    ],
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Add or update every account of a CSV file: all of them, or none if a row is wrong."""
    from bot.io.account_csv import BadRows, read_accounts
    from bot.output.text import literal
    from bot.query import managed

    context = command_context(config, env_file)
    try:
        entries = read_accounts(file)
        done = managed.import_entries(context.engine, context.settings, entries, system_clock())
        if isinstance(done, list):
            raise BadRows(done)
    except BadRows as bad:
        for line in bad.lines():
            typer.echo(f"error: {literal(line)}", err=True)
        typer.echo(f"error: {file}: nothing imported", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{file}: {done.added} accounts added, {done.updated} updated")


# ``bot accounts SUBCOMMAND``: the name typed, and the function in this module.
SUBCOMMANDS = (
    ("add", "add"),
    ("remove", "remove"),
    ("pause", "pause"),
    ("resume", "resume"),
    ("import", "import_accounts"),
)
