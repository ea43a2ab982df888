"""The ``bot`` commands that run things: the daemon, its status, simulator, demo, digest, API."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from datetime import date
from typing import Annotated

import typer

from bot.cli.options import (
    ConfigOpt,
    Context,
    EnvOpt,
    FormatOpt,
    app,
    check_format,
    command_context,
)
from bot.clock import system_clock
from bot.errors import InputError
from bot.http import redact
from bot.store.db import make_engine, migrate
from bot.tables import render


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
    from bot.daemon.logs import LOG_FORMATS, configure
    from bot.daemon.scheduler import run_daemon

    check_format(log_format, LOG_FORMATS, param_hint="--log-format")
    if metrics_port is not None and not 0 < metrics_port < 65536:
        raise typer.BadParameter(
            f"expected a port from 1 to 65535, got {metrics_port}", param_hint="--metrics-port"
        )
    ctx = command_context(config, env_file)
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
    from bot.daemon import status as health

    ctx = command_context(config, env_file, fmt=fmt)
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
    from bot.digest.periods import check_period, parse_day, period_end

    if fmt not in DIGEST_FORMATS:
        raise InputError(f"--format: expected one of {', '.join(DIGEST_FORMATS)}, got {fmt!r}")
    check_period(period)
    if force and not send:
        raise InputError("--force: only with --send")
    ctx = command_context(config, env_file)
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
    from bot.api.app import create_app, serve_api
    from bot.daemon.logs import configure
    from bot.http.addresses import is_loopback

    if not 0 < port < 65536:
        raise typer.BadParameter(
            f"expected a port from 1 to 65535, got {port}", param_hint="--port"
        )
    ctx = command_context(config, env_file)
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
