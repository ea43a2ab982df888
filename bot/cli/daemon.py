"""The ``bot`` commands that run things: the daemon, its status, the simulator, demo, the API."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
from typing import Annotated

import typer

from bot.cli.options import ConfigOpt, EnvOpt, FormatOpt, UtcOpt, command_context
from bot.clock import system_clock
from bot.errors import InputError
from bot.output.tables import redacted, render
from bot.output.text import CLI


def run(
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve Prometheus metrics on --metrics-host:PORT/metrics."),
    ] = None,
    metrics_host: Annotated[
        str,
        typer.Option(help="Address the metrics listen on (0.0.0.0 in a container)."),
    ] = "127.0.0.1",
    log_format: Annotated[str, typer.Option(help="text or json (one object per line).")] = "text",
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """The daemon: poll due accounts on schedule until SIGTERM/SIGINT."""
    from bot.daemon.logs import LOG_FORMATS, configure
    from bot.daemon.scheduler import run_daemon

    CLI.choice("log-format", log_format, LOG_FORMATS)
    if metrics_port is not None and not 0 < metrics_port < 65536:
        raise typer.BadParameter(
            f"expected a port from 1 to 65535, got {metrics_port}", param_hint="--metrics-port"
        )
    ctx = command_context(config, env_file)
    configure(log_format, ctx.redact)
    try:
        asyncio.run(
            run_daemon(
                ctx.settings, ctx.engine, metrics_port=metrics_port, metrics_host=metrics_host
            )
        )
    except OSError as exc:
        # An address that does not resolve is the host's fault; one in use, the port's.
        hint = "--metrics-host" if isinstance(exc, socket.gaierror) else "--metrics-port"
        raise typer.BadParameter(
            f"cannot listen on {metrics_host}:{metrics_port}: {exc.strerror or exc}",
            param_hint=hint,
        ) from None


def status(
    fmt: FormatOpt = "table",
    utc: UtcOpt = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="One line; exit 1 unless a poll cycle completed within two intervals "
            "(for HEALTHCHECK).",
        ),
    ] = False,
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Daemon health: each platform's state, then failing and stale accounts."""
    from bot.daemon import status as health

    ctx = command_context(config, env_file, fmt=fmt)
    if check:
        alive, line = health.daemon_check(ctx.engine, ctx.settings, system_clock())
        typer.echo(f"{'ok' if alive else 'unhealthy'}: {line}")
        if not alive:
            raise typer.Exit(1)
        return
    report = health.status(ctx.engine, ctx.settings, system_clock())
    platforms = redacted(report["platforms"], health.PLATFORM_COLUMNS, ctx.redact)
    problems = redacted(report["accounts"], health.PROBLEM_COLUMNS, ctx.redact)
    document = {"platforms": platforms, "accounts": problems}
    zone = ctx.zone(utc)
    render(
        platforms, health.PLATFORM_COLUMNS, fmt, title="Platforms", document=document, tz=zone
    )
    if fmt == "table":
        title = "Failing and stale accounts"
        render(problems, health.PROBLEM_COLUMNS, fmt, title=title, tz=zone)


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
    latency: Annotated[
        str, typer.Option(help="Hold every answer back this long, e.g. 50ms or 1s (real time).")
    ] = "0ms",
    budget: Annotated[
        list[str] | None,
        typer.Option(
            help="NAME=N: platform NAME allows N requests per its window (repeatable).",
        ),
    ] = None,
) -> None:
    """Serve simulated platform APIs on loopback (tests, benchmarks, offline trial)."""
    from bot.collector import settle
    from bot.simulator import Simulator, serve_forever

    seconds = _latency(latency)
    budgets = _budgets(budget or [], known=Simulator().budgets())
    settle()  # it serves until stopped: collect what it allocates from here on

    def ready(url: str) -> None:
        extras = ["enforced rate limits"] if enforce_limits else []
        extras += [f"{latency.strip()} latency"] if seconds else []
        shown = f" with {' and '.join(extras)}" if extras else ""
        typer.echo(f"simulator on {url}{shown} (Ctrl-C to stop)")

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(
                serve_forever(
                    host,
                    port,
                    on_ready=ready,
                    enforce_limits=enforce_limits,
                    latency=seconds,
                    budgets=budgets,
                )
            )
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--host") from None
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot listen on {host}:{port}: {exc.strerror}", param_hint="--port"
        ) from None


_LATENCY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$")
_MAX_LATENCY_SECONDS = 60
_MAX_BUDGET = 10**12


def _latency(text: str) -> float:
    """``--latency``: ``"50ms"`` or ``"0.5s"`` -> seconds, at most a minute, else exit 2."""
    match = _LATENCY.match(text) if len(text) < 40 else None
    seconds = float(match.group(1)) / (1000 if match.group(2) == "ms" else 1) if match else -1
    if not 0 <= seconds <= _MAX_LATENCY_SECONDS:
        raise typer.BadParameter(
            f"expected a latency like 50ms or 1s, at most {_MAX_LATENCY_SECONDS}s, got {text!r}",
            param_hint="--latency",
        )
    return seconds


def _budgets(values: list[str], known: dict[str, tuple[int, int]]) -> dict[str, int]:
    """``--budget NAME=N`` values -> {name: requests per window}, else exit 2 naming the value."""
    budgets: dict[str, int] = {}
    for value in values:
        name, _, count = value.partition("=")
        name = name.strip().lower()
        if name not in known or not count.strip().isascii() or not count.strip().isdigit():
            raise typer.BadParameter(
                f"expected NAME=N with NAME one of {', '.join(sorted(known))}, got {value!r}",
                param_hint="--budget",
            )
        if not 1 <= int(count) <= _MAX_BUDGET:
            raise typer.BadParameter(
                f"expected N from 1 to {_MAX_BUDGET:,}, got {value!r}", param_hint="--budget"
            )
        budgets[name] = int(count)
    return budgets


def demo(
    days: Annotated[int, typer.Option(help="Simulated days to poll.")] = 400,
    database_url: Annotated[
        str, typer.Option(help="Where the demo stores its data.")
    ] = "sqlite:///data/demo.db",
) -> None:
    """Offline tour: the simulator and the real poll path over simulated days, then a report."""
    from bot.collector import settle
    from bot.demo import run_demo
    from bot.store.db import make_engine, migrate

    if days < 2:
        raise typer.BadParameter("expected at least 2 days", param_hint="--days")
    settle()  # before the engine, which is disposed when collected
    engine = make_engine(database_url)
    migrate(engine)
    asyncio.run(run_demo(engine, days=days))


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
            f"--host {host}: set BOT_API_TOKEN before serving beyond loopback (anyone could read)",
            field="host",
        )
    configure("text", ctx.redact)
    try:
        serve_api(create_app(ctx.settings, ctx.engine, bound=(host, port)), host, port)
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot listen on {host}:{port}: {exc.strerror}", param_hint="--port"
        ) from None
