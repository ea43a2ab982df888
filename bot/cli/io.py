"""The history commands: import (backfill) and export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from bot.cli.options import ConfigOpt, Context, EnvOpt, actor, command_context
from bot.cli.sheets import ExcelOpt, save
from bot.clock import system_clock
from bot.output.files import atomic_text
from bot.output.text import CLI, number

# ``bot import`` names this many suspect rows; the rest are counted.
SHOWN_SUSPECT = 5

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Connection

    from bot.io.export import ExportRow
    from bot.io.load import ImportCounts


def import_history(
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
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Overwrite stored snapshots at the same instants (recorded)."
        ),
    ] = False,
    figures: Annotated[
        bool,
        typer.Option(
            "--figures", help="FILE holds published figures: platform,handle,from,to,metric,value."
        ),
    ] = False,
    trust: Annotated[
        bool,
        typer.Option("--trust", help="Store rows the quality gate finds suspect as ok (recorded)."),
    ] = False,
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Backfill history from CSV or JSON lines, or one account's CSV with --platform/--handle."""
    if not file.is_file():
        raise typer.BadParameter(f"no such file: {file}", param_hint="FILE")
    from bot.io.load import import_history as load
    from bot.query import words
    from bot.store.corrections import Audit

    if figures:
        mapped = abbreviated or any(v is not None for v in (platform, handle, map_, date_format))
        words.figures_import(mapped, CLI)
        _import_figures(file, config, env_file)
        return
    mapping = words.import_mapping(platform, handle, map_, date_format, abbreviated, CLI)
    ctx = command_context(config, env_file)
    now = system_clock()
    audit = Audit(f"bot import --replace {file.name}", actor(), now) if replace else None
    trusted = Audit(f"bot import --trust {file.name}", actor(), now) if trust else None
    counts = load(ctx.engine, ctx.settings, file, now, mapping, replace=audit, trust=trusted)
    typer.echo(f"{file}: {_counts(counts, replace)}")
    for line in _quality_lines(counts, ctx.settings.timezone):
        typer.echo(line)


def _import_figures(file: Path, config: Path | None, env_file: Path | None) -> None:
    """``bot import FILE --figures``: published counts and totals, replacing other values."""
    from bot.io.figures import import_figures
    from bot.store.corrections import Audit

    ctx = command_context(config, env_file)
    now = system_clock()
    audit = Audit(f"bot import --figures {file.name}", actor(), now)
    read, added, replaced = import_figures(ctx.engine, ctx.settings, file, now, audit)
    stored = read - added - replaced
    typer.echo(
        f"{file}: {read} figures read, {added} added, {replaced} replaced, {stored} already stored"
    )


def _counts(counts: ImportCounts, replace: bool) -> str:
    """``3 rows read, 1 snapshots added, 1 replaced, 1 already stored``."""
    stored = counts.read - counts.added - counts.replaced
    said = f"{counts.read} rows read, {counts.added} snapshots added"
    if replace:
        return f"{said}, {counts.replaced} replaced, {stored} already stored"
    hint = " (--replace overwrites those whose values differ)" if stored else ""
    return f"{said}, {stored} already stored{hint}"


def _quality_lines(counts: ImportCounts, tz: ZoneInfo) -> list[str]:
    """What the quality gate did with the file's rows, and how to see the suspect ones."""
    if counts.trusted:
        return [f"{counts.trusted} rows the quality gate found suspect stored as ok (--trust)"]
    if not counts.suspect:
        return []
    lines = [
        f"{len(counts.suspect)} rows kept as suspect"
        " (left out of growth, digests, reports and charts):"
    ]
    for key, at, followers in counts.suspect[:SHOWN_SUSPECT]:
        when = at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"  {key} at {when} ({tz.key}): {number(followers)} followers")
    if len(counts.suspect) > SHOWN_SUSPECT:
        lines.append(f"  ... and {len(counts.suspect) - SHOWN_SUSPECT} more")
    lines.append(
        "See every row's quality with `bot export -o FILE` (column quality); store them as ok"
        " with `bot import FILE --trust` or `bot correct ACCOUNT --at WHEN --mark-ok`"
    )
    return lines


def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="csv, jsonl or xlsx (default: by extension)."),
    ] = None,
    excel: ExcelOpt = False,
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Write all snapshots as CSV, JSON lines or an Excel workbook."""
    from bot.io.export import format_for_path, write_export

    kind = format_for_path(output, fmt, excel=excel)
    ctx = command_context(config, env_file, sync=False)
    with ctx.engine.connect() as connection:
        if kind == "xlsx" and output is not None:
            count = _export_workbook(ctx, output, _rows(connection))
        elif output is None:
            count = write_export(_rows(connection), sys.stdout, kind, excel=excel)
        else:
            with atomic_text(output) as handle:
                count = write_export(_rows(connection), handle, kind, excel=excel)
    typer.echo(f"{count} snapshots exported", err=True)


def _rows(connection: Connection) -> Iterator[ExportRow]:
    """The stored snapshots, streamed."""
    from bot.io.export import ExportRow
    from bot.store.history import export_rows

    return (ExportRow(*row) for row in export_rows(connection))


def _export_workbook(ctx: Context, output: Path, rows: Iterator[ExportRow]) -> int:
    """``bot export --format xlsx``: the workbook, with each account's label; how many rows."""
    from sqlmodel import Session

    from bot.io.export import export_workbook
    from bot.store.accounts import all_accounts

    with Session(ctx.engine) as session:
        # Export is every snapshot, removed accounts' too: their labels with them.
        every = all_accounts(session, removed=True)
        labels = {(a.platform, a.handle): a.label for a in every if a.label}
    counted = [0]

    def counting() -> Iterator[ExportRow]:
        for row in rows:
            counted[0] += 1
            yield row

    save(output, export_workbook(counting(), labels))
    return counted[0]
