"""The ``bot`` command line (Typer): thin wiring over config, store, poller and views."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlmodel import Session

from bot import redact, views
from bot.clock import system_clock
from bot.config import Settings, load_settings
from bot.errors import UserError
from bot.growth import year_bounds
from bot.http import make_client
from bot.output import FORMATS, render
from bot.platforms import REGISTRY
from bot.store.accounts import find_accounts, sync_accounts
from bot.store.db import make_engine, migrate

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


def _context(
    config: Path | None, env_file: Path | None, *, sync: bool = True, fmt: str | None = None
) -> Context:
    """Check --format, load settings, open and migrate the database, sync configured accounts."""
    if fmt is not None:
        _check_format(fmt)
    settings = load_settings(config, env_file=env_file)
    engine = make_engine(settings.database_url)
    migrate(engine)
    if sync:
        with Session(engine) as session:
            sync_accounts(session, settings, system_clock())
    return Context(settings, engine)


def _check_format(fmt: str, allowed: tuple[str, ...] = FORMATS) -> str:
    """Refuse an unknown --format with a usage error."""
    if fmt not in allowed:
        raise typer.BadParameter(
            f"expected one of {', '.join(allowed)}, got {fmt!r}", param_hint="--format"
        )
    return fmt


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
    from bot.poller import poll_accounts, select_accounts

    if platform is not None and platform not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise typer.BadParameter(
            f"unknown platform {platform!r} (known: {known})", param_hint="--platform"
        )
    ctx = _context(config, env_file, fmt=fmt)

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
    ctx = _context(config, env_file, fmt=fmt)
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
    ctx = _context(config, env_file, fmt=fmt)
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
    ctx = _context(config, env_file, fmt=fmt)
    moment = (
        views.parse_when(at, ctx.settings, option="--at", end_of_day=True) if at else system_clock()
    )
    rows = views.growth_rows(ctx.engine, ctx.settings, period=period, at=moment, group=group)
    render(rows, views.GROWTH_COLUMNS, fmt, title=f"Growth over {period}")


@app.command()
def report(
    year: Annotated[int, typer.Option(help="The calendar year, in the configured time zone.")],
    fmt: FormatOpt = "table",
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """The annual report: counts at the year's start and end, change, growth %, posts published."""
    if not 1970 <= year <= 9998:
        raise typer.BadParameter(f"expected a year like 2021, got {year}", param_hint="--year")
    ctx = _context(config, env_file, fmt=fmt)
    first, last = year_bounds(year, ctx.settings.timezone)
    lines = views.report(ctx.engine, ctx.settings, first=first, last=last)
    render(
        views.report_table_rows(lines),
        views.REPORT_COLUMNS,
        fmt,
        title=f"Annual report {year}",
        document={"year": year, "accounts": lines},
    )


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="CSV or JSON lines history file.")],
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Backfill history from CSV or JSON lines (see README: Import format)."""
    if not file.is_file():
        raise typer.BadParameter(f"no such file: {file}", param_hint="FILE")
    from bot.ingest import import_history

    ctx = _context(config, env_file)
    read, added = import_history(ctx.engine, ctx.settings, file, system_clock())
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
    from bot.exporter import ExportRow, format_for_path, write_export
    from bot.store.history import export_rows

    kind = format_for_path(output, fmt)
    ctx = _context(config, env_file, sync=False)
    with ctx.engine.connect() as connection:
        rows = (ExportRow(*row) for row in export_rows(connection))
        if output is None:
            count = write_export(rows, sys.stdout, kind)
        else:
            tmp = output.with_name(output.name + ".partial")
            with tmp.open("w", encoding="utf-8", newline="") as handle:
                count = write_export(rows, handle, kind)
            tmp.replace(output)
    typer.echo(f"{count} snapshots exported", err=True)


@app.command()
def run(config: ConfigOpt = None, env_file: EnvOpt = None) -> None:
    """The daemon: poll due accounts on schedule until SIGTERM/SIGINT."""
    from bot.scheduler import run_daemon

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    ctx = _context(config, env_file)
    redact.install(redact.Redactor(ctx.settings.secret_values()))
    asyncio.run(run_daemon(ctx.settings, ctx.engine))


@app.command()
def simulate(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 = any free port).")] = 8765,
    host: Annotated[str, typer.Option(help="Loopback address to bind.")] = "127.0.0.1",
) -> None:
    """Serve simulated platform APIs on loopback (tests, benchmarks, offline trial)."""
    from bot.simulator import serve_forever

    def ready(url: str) -> None:
        typer.echo(f"simulator on {url} (Ctrl-C to stop)")

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_forever(host, port, on_ready=ready))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--host") from None
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot listen on {host}:{port}: {exc.strerror}", param_hint="--port"
        ) from None


@app.command()
def demo(
    days: Annotated[int, typer.Option(help="Simulated days to poll.")] = 400,
    database_url: Annotated[
        str, typer.Option(help="Where the demo stores its data.")
    ] = "sqlite:///data/demo.db",
) -> None:
    """Offline tour: the simulator and the real poll path over simulated days, then a report."""
    from bot.demo import run_demo

    if days < 2:
        raise typer.BadParameter("expected at least 2 days", param_hint="--days")
    engine = make_engine(database_url)
    migrate(engine)
    asyncio.run(run_demo(engine, days=days))


@app.command()
def digest(
    date: Annotated[str | None, typer.Option(help="The day to describe.")] = None,
    send: Annotated[bool, typer.Option(help="Deliver it to BOT_NOTIFY.")] = False,
) -> None:
    """Build (and optionally deliver) the daily digest (not yet available)."""
    typer.echo("bot digest: not yet available in this release", err=True)
    raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """The read-only HTTP API (not yet available)."""
    typer.echo("bot serve: not yet available in this release", err=True)
    raise typer.Exit(1)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user mistakes become one line on stderr and a non-zero status."""
    try:
        app(args=argv)
    except UserError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
