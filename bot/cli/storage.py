"""Storage upkeep: ``bot compact``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.options import ConfigOpt, EnvOpt, command_context
from bot.clock import system_clock
from bot.output.text import CLI, iso, number, plain

if TYPE_CHECKING:
    from bot.query.compact import Compaction

FORMATS = ("text", "json")


def compact(
    keep_raw: Annotated[
        str, typer.Option(help="Keep every snapshot of the last N days, e.g. 90d (at least 62d).")
    ] = "90d",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be removed; change nothing.")
    ] = False,
    vacuum: Annotated[
        bool,
        typer.Option(
            "--vacuum",
            help="Then give the space back (SQLite VACUUM; PostgreSQL VACUUM FULL, locks).",
        ),
    ] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Thin out snapshots older than --keep-raw to the points that figures read."""
    from bot.query import compact as compaction

    CLI.choice("format", fmt, FORMATS)
    keep = compaction.keep_raw(keep_raw, CLI)
    ctx = command_context(config, env_file, sync=False)
    done = compaction.compact(
        ctx.engine, ctx.settings, keep=keep, now=system_clock(), dry_run=dry_run, vacuum=vacuum
    )
    if fmt == "json":
        typer.echo(json.dumps(plain(done.document()), indent=2))
        return
    for line in summary(done, ctx.settings.timezone.key):
        typer.echo(line)


def summary(done: Compaction, zone: str) -> list[str]:
    """The text report: the cut, rows removed, bytes per snapshot before and after."""
    facts = done.document()
    verb = "would remove" if done.dry_run else "removed"
    cutoff = iso(done.cutoff)
    per_before = facts["bytes_per_snapshot_before"]
    per_after = facts["bytes_per_snapshot_after"]
    lines = [
        f"kept every snapshot from {cutoff} ({zone} day start) on;"
        " before that, the points figures read",
        f"snapshots: {number(done.snapshots)} stored, {verb} {number(done.removed)},"
        f" {number(done.snapshots - done.removed)} left",
    ]
    if done.dry_run:
        lines.append(f"size: {number(done.bytes_before)} bytes, {per_before} bytes per snapshot")
    else:
        lines.append(
            f"size: {number(done.bytes_before)} -> {number(done.bytes_after)} bytes;"
            f" per snapshot {per_before} -> {per_after}"
            + ("" if done.vacuumed else " (freed pages are reused; --vacuum returns them)")
        )
    lines.append(f"took {done.seconds:.1f} s in {done.chunks} transactions")
    return lines
