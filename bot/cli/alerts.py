"""``bot alerts``: the alerts raised by the daemon, newest first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.options import ConfigOpt, EnvOpt, FormatOpt, UtcOpt, command_context
from bot.clock import system_clock
from bot.output.tables import render

if TYPE_CHECKING:
    from bot.query.alerts import Which


def alerts(
    open_: Annotated[bool, typer.Option("--open", help="Only the alerts still open.")] = False,
    all_: Annotated[bool, typer.Option("--all", help="Every alert ever raised.")] = False,
    fmt: FormatOpt = "table",
    utc: UtcOpt = False,
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """List alerts: open ones and those of the last 7 days (--open, --all)."""
    from bot.query.alerts import ALERT_COLUMNS, alert_rows

    if open_ and all_:
        raise typer.BadParameter("choose one of --open and --all", param_hint="--open")
    which: Which = "open" if open_ else "all" if all_ else "recent"
    ctx = command_context(config, env_file, fmt=fmt)
    rows = alert_rows(ctx.engine, which=which, now=system_clock())
    render([r.to_json() for r in rows], ALERT_COLUMNS, fmt, tz=ctx.zone(utc))
