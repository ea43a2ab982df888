"""The history corrections: ``bot correct`` (and ``--undo``) and ``bot corrections``."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.options import ConfigOpt, EnvOpt, FormatOpt, UtcOpt, actor, command_context
from bot.clock import system_clock
from bot.output.tables import render
from bot.output.text import CLI

ORIGIN = "bot correct"


def correct(
    account: Annotated[
        str | None, typer.Argument(help="PLATFORM:HANDLE of the snapshot to correct.")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(help="The snapshot: its ISO time, or a date when it is that day's only one."),
    ] = None,
    mark_suspect: Annotated[
        bool, typer.Option("--mark-suspect", help="Keep it out of every figure.")
    ] = False,
    mark_ok: Annotated[
        bool, typer.Option("--mark-ok", help="Count it again (not suspect).")
    ] = False,
    delete: Annotated[bool, typer.Option("--delete", help="Delete it.")] = False,
    followers: Annotated[int | None, typer.Option(help="Set its follower count.")] = None,
    posts: Annotated[int | None, typer.Option(help="Set its post count.")] = None,
    undo: Annotated[
        int | None, typer.Option(help="Undo correction ID (see `bot corrections`).")
    ] = None,
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Correct one stored snapshot (mark, delete or set a count), or --undo ID; all recorded."""
    from bot.query import corrections, words
    from bot.store.corrections import Audit

    change = words.correction(
        account,
        at,
        undo,
        marks=(mark_suspect, mark_ok, delete),
        counts=(followers, posts),
        spell=CLI,
    )
    ctx = command_context(config, env_file, sync=False)
    audit = Audit(ORIGIN, actor(), system_clock())
    if change is None:
        assert undo is not None  # words.correction returns no change only for --undo
        typer.echo(corrections.undo(ctx.engine, undo, audit, spell=CLI))
        return
    assert account is not None and at is not None  # words.correction checked both
    tz = ctx.settings.timezone
    when = words.snapshot_time(at, tz, CLI)
    typer.echo(corrections.correct(ctx.engine, account, when, change, audit, tz=tz, spell=CLI))


def corrections(
    account: Annotated[str | None, typer.Argument(help="Only this PLATFORM:HANDLE.")] = None,
    fmt: FormatOpt = "table",
    utc: UtcOpt = False,
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """The audit trail: every correction and replacement, its old and new value, and undos."""
    from bot.query import corrections as trail

    ctx = command_context(config, env_file, sync=False, fmt=fmt)
    rows = trail.correction_rows(ctx.engine, account)
    if fmt == "json":
        render(rows, trail.CSV_COLUMNS, fmt)
        return
    columns = trail.TABLE_COLUMNS if fmt == "table" else trail.CSV_COLUMNS
    render(trail.flat_rows(rows), columns, fmt, title="Corrections", tz=ctx.zone(utc))
