"""The ``bot`` command line (Typer): thin wiring over config, store, poller and views."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlmodel import Session

from bot import redact, views
from bot.clock import system_clock
from bot.config import Settings, load_settings
from bot.errors import InputError, UserError
from bot.http import make_client
from bot.import_map import column_map_from_options
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


def _check_format(
    fmt: str, allowed: tuple[str, ...] = FORMATS, *, param_hint: str = "--format"
) -> str:
    """Refuse an unknown --format with a usage error."""
    if fmt not in allowed:
        raise typer.BadParameter(
            f"expected one of {', '.join(allowed)}, got {fmt!r}", param_hint=param_hint
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
    from bot import report as reports
    from bot.report_render import REPORT_FORMATS, write

    _check_format(fmt, REPORT_FORMATS)
    if (year is None) == (from_ is None and to is None):
        raise InputError("report: give either --year YYYY or --from D --to D (exactly one of them)")
    if year is None and (from_ is None or to is None):
        raise InputError(
            f"report: {'--to' if to is None else '--from'} is missing (--from D --to D)"
        )
    ctx = _context(config, env_file)
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
    from bot.charts import followers_chart_png

    if output.suffix.lower() != ".png":
        raise InputError(f"--output: expected a file name ending in .png, got {str(output)!r}")
    ctx = _context(config, env_file)
    first, last = (
        views.parse_when(text, ctx.settings, option=option, end_of_day=option == "--until")
        if text
        else None
        for text, option in ((since, "--since"), (until, "--until"))
    )
    title, points = views.chart_series(ctx.engine, account, since=first, until=last)
    png = followers_chart_png(points, title=title, tz=ctx.settings.timezone)
    tmp = output.with_name(output.name + ".partial")
    try:
        tmp.write_bytes(png)
        tmp.replace(output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
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
    from bot.ingest import import_history

    mapping = column_map_from_options(platform, handle, map_, date_format, abbreviated)
    ctx = _context(config, env_file)
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
def run(
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve Prometheus metrics on 127.0.0.1:PORT/metrics."),
    ] = None,
    log_format: Annotated[str, typer.Option(help="text or json (one object per line).")] = "text",
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """The daemon: poll due accounts on schedule until SIGTERM/SIGINT."""
    from bot.logs import LOG_FORMATS, configure
    from bot.scheduler import run_daemon

    _check_format(log_format, LOG_FORMATS, param_hint="--log-format")
    if metrics_port is not None and not 0 < metrics_port < 65536:
        raise typer.BadParameter(
            f"expected a port from 1 to 65535, got {metrics_port}", param_hint="--metrics-port"
        )
    ctx = _context(config, env_file)
    configure(log_format, redact.Redactor(ctx.settings.secret_values()))
    try:
        asyncio.run(run_daemon(ctx.settings, ctx.engine, metrics_port=metrics_port))
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot listen on 127.0.0.1:{metrics_port}: {exc.strerror}",
            param_hint="--metrics-port",
        ) from None


@app.command()
def status(
    fmt: FormatOpt = "table",
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Daemon health: each platform's state, then failing and stale accounts."""
    from bot import health

    ctx = _context(config, env_file, fmt=fmt)
    report = health.status(ctx.engine, ctx.settings, system_clock())
    render(
        report["platforms"],
        health.PLATFORM_COLUMNS,
        fmt,
        title="Platforms",
        document=report,
    )
    if fmt == "table":
        render(report["accounts"], health.PROBLEM_COLUMNS, fmt, title="Failing and stale accounts")


@app.command()
def simulate(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 = any free port).")] = 8765,
    host: Annotated[str, typer.Option(help="Loopback address to bind.")] = "127.0.0.1",
    enforce_limits: Annotated[
        bool,
        typer.Option(
            "--enforce-limits",
            help="Answer each platform's own 429 (or 403) past its published rate budget.",
        ),
    ] = False,
) -> None:
    """Serve simulated platform APIs on loopback (tests, benchmarks, offline trial)."""
    from bot.simulator import serve_forever

    def ready(url: str) -> None:
        limits = " with enforced rate limits" if enforce_limits else ""
        typer.echo(f"simulator on {url}{limits} (Ctrl-C to stop)")

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_forever(host, port, on_ready=ready, enforce_limits=enforce_limits))
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
    day: Annotated[
        str | None,
        typer.Option(
            "--date", help="Local day: YYYY-MM-DD, today or yesterday (default: today, so far)."
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="text, markdown, html or json.")
    ] = "text",
    send: Annotated[
        bool, typer.Option("--send", help="Deliver it to BOT_NOTIFY and data/digests/.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="With --send: deliver again where already sent.")
    ] = False,
    period: Annotated[
        str,
        typer.Option(
            "--period",
            help="day, week (Monday to Sunday) or month; --date names any day in it "
            "(default: the last complete one).",
        ),
    ] = "day",
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Build the daily (or weekly, monthly) digest and print it, or deliver it with --send."""
    from bot.digest import DIGEST_FORMATS, build_digest, render_digest
    from bot.digest.build import parse_day
    from bot.digest.periods import check_period, period_end

    if fmt not in DIGEST_FORMATS:
        raise InputError(f"--format: expected one of {', '.join(DIGEST_FORMATS)}, got {fmt!r}")
    check_period(period)
    if force and not send:
        raise InputError("--force: only with --send")
    ctx = _context(config, env_file)
    now = system_clock()
    if period == "day":
        # Without --date: today in the configured zone, the figures so far.
        chosen = parse_day(day or "today", ctx.settings.timezone, now)
    else:
        chosen = period_end(ctx.settings.timezone, period, day, now)
    if send:
        _send_digest(ctx, chosen, force=force, period=period)
        return
    built = build_digest(ctx.engine, ctx.settings, chosen, now=now, period=period)
    sys.stdout.write(render_digest(built, fmt))


def _send_digest(ctx: Context, day: date, *, force: bool, period: str = "day") -> None:
    """Deliver the digest of ``day`` (or of its week or month): a line per channel; 1 if failed."""
    from bot.digest import build_digest, compose
    from bot.digest.deliver import send_digest

    built = build_digest(ctx.engine, ctx.settings, day, now=system_clock(), period=period)
    results = send_digest(
        ctx.engine,
        ctx.settings,
        day=day,
        message=compose(built),
        force=force,
        clock=system_clock,
        period=period,
    )
    for result in results:
        error = f": {result.error}" if result.error else ""
        typer.echo(f"{result.channel}: {result.status}{error}")
    if any(r.status in ("failed", "disabled") for r in results):
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (beyond loopback: BOT_API_TOKEN).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """The read-only HTTP API: the query commands' JSON, behind BOT_API_TOKEN."""
    from bot.api import create_app, serve_api
    from bot.logs import configure
    from bot.simulator.app import is_loopback

    if not 0 < port < 65536:
        raise typer.BadParameter(
            f"expected a port from 1 to 65535, got {port}", param_hint="--port"
        )
    ctx = _context(config, env_file)
    if ctx.settings.api_token is None and not is_loopback(host):
        raise InputError(
            f"--host {host}: set BOT_API_TOKEN before serving beyond loopback (anyone could read)"
        )
    configure("text", redact.Redactor(ctx.settings.secret_values()))
    try:
        serve_api(create_app(ctx.settings, ctx.engine), host, port)
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot listen on {host}:{port}: {exc.strerror}", param_hint="--port"
        ) from None


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user mistakes become one line on stderr and a non-zero status."""
    try:
        app(args=argv)
    except UserError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
