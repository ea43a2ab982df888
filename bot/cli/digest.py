"""``bot digest``: print the digest of a day, week or month, or deliver it with ``--send``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.cli.options import ConfigOpt, EnvOpt, command_context
from bot.clock import system_clock
from bot.kinds import DeliveryStatus
from bot.output.text import CLI, literal

# Exit 1 when a channel did not (or may not have) received the digest.
_NOT_DELIVERED = (DeliveryStatus.FAILED, DeliveryStatus.DISABLED, DeliveryStatus.UNKNOWN)


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
    from bot.digest.deliver import deliver_digest
    from bot.query import words

    CLI.choice("format", fmt, DIGEST_FORMATS)
    kind = words.digest_period(period, CLI)
    if force and not send:
        raise CLI.error("force", "only with --send")
    ctx = command_context(config, env_file)
    now = system_clock()
    chosen = words.digest_day(day, kind, ctx.settings.timezone, now, CLI)
    if not send:
        built = build_digest(ctx.engine, ctx.settings, chosen, now=now, period=kind)
        sys.stdout.write(render_digest(built, fmt))
        return
    results = deliver_digest(
        ctx.engine, ctx.settings, chosen, period=kind, clock=system_clock, force=force
    )
    for result in results:
        # The error is a receiver's words (redacted by delivery): shown literally.
        error = f": {literal(result.error)}" if result.error else ""
        typer.echo(f"{result.channel}: {result.status}{error}")
    if any(r.status in _NOT_DELIVERED for r in results):
        raise typer.Exit(1)
