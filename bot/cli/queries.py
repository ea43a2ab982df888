"""The query commands: poll, accounts, snapshots, growth, report, chart, import, export."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from bot.cli.options import (
    ConfigOpt,
    EnvOpt,
    FormatOpt,
    app,
    check_format,
    command_context,
)
from bot.clock import system_clock
from bot.errors import InputError
from bot.files import atomic_text, write_atomic
from bot.http.client import make_client
from bot.io.mapped import column_map_from_options
from bot.platforms import REGISTRY
from bot.query import rows as views
from bot.store.accounts import find_accounts
from bot.tables import render


@app.command()
def poll(
    accounts: Annotated[
        list[str] | None, typer.Argument(help="Accounts as PLATFORM:HANDLE.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Poll every configured account now.")] = False,
    platform: Annotated[str | None, typer.Option(help="Only this platform.")] = None,
    fmt: FormatOpt = "table",
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Run one poll cycle now; a line per account; exit 1 only if every attempt failed."""
    from bot.daemon.poller import poll_accounts, select_accounts

    if platform is not None and platform not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise typer.BadParameter(
            f"unknown platform {platform!r} (known: {known})", param_hint="--platform"
        )
    ctx = command_context(config, env_file, fmt=fmt)

    async def cycle() -> list[dict[str, object]]:
        with Session(ctx.engine) as session:
            chosen = find_accounts(session, accounts) if accounts else None
            selected = select_accounts(
                session, system_clock(), keys=chosen, platform=platform, everything=all_
            )
        async with make_client(user_agent=ctx.settings.user_agent) as client:
            results = await poll_accounts(
                selected,
                engine=ctx.engine,
                settings=ctx.settings,
                client=client,
                clock=system_clock,
            )
        return [r.__dict__ for r in results]

    rows = asyncio.run(cycle())
    render(rows, views.POLL_COLUMNS, fmt)
    if not rows:
        typer.echo("no account was due (use --all or name accounts)", err=True)
    if rows and all(r["outcome"] != "ok" for r in rows):
        raise typer.Exit(1)


@app.command("accounts")
def accounts_cmd(
    group: Annotated[str | None, typer.Option(help="Only accounts in this group.")] = None,
    fmt: FormatOpt = "table",
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """List accounts with status, last poll and latest counts."""
    ctx = command_context(config, env_file, fmt=fmt)
    render(views.account_rows(ctx.engine, group), views.ACCOUNT_COLUMNS, fmt)


@app.command()
def snapshots(
    account: Annotated[str, typer.Argument(help="PLATFORM:HANDLE, e.g. bluesky:bsky.app.")],
    since: Annotated[str | None, typer.Option(help="From this date or time (local).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this date or time (local).")] = None,
    every: Annotated[str, typer.Option(help="raw, day, week or month.")] = "raw",
    fmt: FormatOpt = "table",
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Show the stored history of one account."""
    ctx = command_context(config, env_file, fmt=fmt)
    start = (
        views.parse_when(since, ctx.settings, option="--since", end_of_day=False) if since else None
    )
    end = (
        views.parse_when(until, ctx.settings, option="--until", end_of_day=True) if until else None
    )
    rows = views.snapshot_rows(
        ctx.engine, ctx.settings, account, since=start, until=end, every=every
    )
    render(rows, views.SNAPSHOT_COLUMNS, fmt)


@app.command()
def growth(
    period: Annotated[str, typer.Option(help="1d, 7d, 30d, 90d, 365d or ytd.")] = "7d",
    at: Annotated[
        str | None, typer.Option(help="End of the period (date = end of that day).")
    ] = None,
    group: Annotated[str | None, typer.Option(help="Only accounts in this group.")] = None,
    fmt: FormatOpt = "table",
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Growth of every account over a period."""
    from bot.growth import parse_period

    try:
        parse_period(period)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from None
    ctx = command_context(config, env_file, fmt=fmt)
    moment = (
        views.parse_when(at, ctx.settings, option="--at", end_of_day=True) if at else system_clock()
    )
    rows = views.growth_rows(ctx.engine, ctx.settings, period=period, at=moment, group=group)
    render(rows, views.GROWTH_COLUMNS, fmt, title=f"Growth over {period}")


@app.command()
def report(
    year: Annotated[
        int | None, typer.Option(help="The calendar year, in the configured time zone.")
    ] = None,
    from_: Annotated[
        str | None, typer.Option("--from", help="Start of a range instead of --year (local).")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="End of the range (a date = its end).")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table, csv, json, text or markdown.")
    ] = "table",
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """The annual (or --from/--to) report: start and end counts, change, growth %, posts."""
    from bot.query import report as reports
    from bot.query.report_text import REPORT_FORMATS, write

    check_format(fmt, REPORT_FORMATS)
    if (year is None) == (from_ is None and to is None):
        raise InputError("report: give either --year YYYY or --from D --to D (exactly one of them)")
    if year is None and (from_ is None or to is None):
        raise InputError(
            f"report: {'--to' if to is None else '--from'} is missing (--from D --to D)"
        )
    ctx = command_context(config, env_file)
    if year is not None:
        period = reports.year_period(year, ctx.settings)
    else:
        period = reports.range_period(from_ or "", to or "", ctx.settings)
    entries = views.report_entries(ctx.engine, first=period.first, last=period.last)
    write(period, entries, ctx.settings, fmt)


@app.command()
def chart(
    account: Annotated[str, typer.Argument(help="PLATFORM:HANDLE, e.g. bluesky:bsky.app.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The PNG file to write.")],
    since: Annotated[str | None, typer.Option(help="From this date or time (local).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this date or time (local).")] = None,
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Draw one account's followers history as a PNG (suspect points left out)."""
    from bot.query.charts import followers_chart_png

    if output.suffix.lower() != ".png":
        raise InputError(f"--output: expected a file name ending in .png, got {str(output)!r}")
    ctx = command_context(config, env_file)
    first, last = (
        views.parse_when(text, ctx.settings, option=option, end_of_day=option == "--until")
        if text
        else None
        for text, option in ((since, "--since"), (until, "--until"))
    )
    title, points = views.chart_series(ctx.engine, account, since=first, until=last)
    png = followers_chart_png(points, title=title, tz=ctx.settings.timezone)
    try:
        write_atomic(output, png)
    except OSError as exc:
        raise InputError(f"--output: cannot write {output}: {exc.strerror or exc}") from None
    typer.echo(f"{output}: {len(points)} snapshots drawn")


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="CSV or JSON lines history file.")],
    platform: Annotated[
        str | None, typer.Option(help="The platform of a one-account CSV (with --handle).")
    ] = None,
    handle: Annotated[str | None, typer.Option(help="The account a one-account CSV is of.")] = None,
    map_: Annotated[
        str | None,
        typer.Option("--map", help="Columns, e.g. date=Date,followers=Followers,posts=Uploads."),
    ] = None,
    date_format: Annotated[
        str | None, typer.Option(help="strptime format of the date column, e.g. %Y/%m/%d.")
    ] = None,
    abbreviated: Annotated[
        bool,
        typer.Option(
            "--abbreviated", help="Accept rounded follower counts like 1.2M (stored as rounded)."
        ),
    ] = False,
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Backfill history from CSV or JSON lines, or one account's CSV with --platform/--handle."""
    if not file.is_file():
        raise typer.BadParameter(f"no such file: {file}", param_hint="FILE")
    from bot.io.load import import_history

    mapping = column_map_from_options(platform, handle, map_, date_format, abbreviated)
    ctx = command_context(config, env_file)
    read, added = import_history(ctx.engine, ctx.settings, file, system_clock(), mapping)
    typer.echo(f"{file}: {read} rows read, {added} snapshots added, {read - added} already stored")


@app.command()
def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="csv or jsonl (default: by extension).")
    ] = None,
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Write all snapshots as CSV or JSON lines."""
    from bot.io.export import ExportRow, format_for_path, write_export
    from bot.store.history import export_rows

    kind = format_for_path(output, fmt)
    ctx = command_context(config, env_file, sync=False)
    with ctx.engine.connect() as connection:
        rows = (ExportRow(*row) for row in export_rows(connection))
        if output is None:
            count = write_export(rows, sys.stdout, kind)
        else:
            with atomic_text(output) as handle:
                count = write_export(rows, handle, kind)
    typer.echo(f"{count} snapshots exported", err=True)
