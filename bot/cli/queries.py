"""The query commands: snapshots, growth, report, chart."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.options import ConfigOpt, EnvOpt, UtcOpt, command_context
from bot.cli.sheets import (
    SHEET_FORMATS,
    SUFFIXES,
    ExcelOpt,
    OutputOpt,
    SheetFormatOpt,
    choose_format,
    emit,
    save,
)
from bot.clock import system_clock
from bot.errors import InputError
from bot.output.files import write_atomic
from bot.output.text import CLI
from bot.query import rows as views
from bot.query import words

# A report file may also be Markdown or plain text.
REPORT_SUFFIXES = {**SUFFIXES, ".md": "markdown", ".txt": "text", ".html": "html"}
AccountArg = Annotated[str, typer.Argument(help="PLATFORM:HANDLE, e.g. bluesky:bsky.app.")]
SinceOpt = Annotated[str | None, typer.Option(help="From this date or time (local).")]
UntilOpt = Annotated[str | None, typer.Option(help="Up to this date or time (local).")]


AllOpt = Annotated[
    bool, typer.Option("--all", help="Include accounts removed from the config (status removed).")
]


def snapshots(
    account: AccountArg,
    since: SinceOpt = None,
    until: UntilOpt = None,
    every: Annotated[str, typer.Option(help="raw, day, week or month.")] = "raw",
    fmt: SheetFormatOpt = None,
    output: OutputOpt = None,
    excel: ExcelOpt = False,
    utc: UtcOpt = False,
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Show the stored history of one account."""
    chosen = choose_format(fmt, output, SHEET_FORMATS, default="table", excel=excel)
    ctx = command_context(config, env_file)
    first, last = words.since_until(since, until, ctx.settings.timezone, CLI)
    kind = words.every(every, CLI)
    rows = views.snapshot_rows(
        ctx.engine, ctx.settings, account, since=first, until=last, every=kind
    )
    emit(
        rows,
        views.SNAPSHOT_COLUMNS,
        chosen,
        output=output,
        tz=ctx.zone(utc),
        excel=excel,
        sheet=account,
    )


def growth(
    period: Annotated[str, typer.Option(help="1d, 7d, 30d, 90d, 365d or ytd.")] = "7d",
    at: Annotated[
        str | None, typer.Option(help="End of the period (date = end of that day).")
    ] = None,
    group: Annotated[str | None, typer.Option(help="Only accounts in this group.")] = None,
    all_: AllOpt = False,
    fmt: SheetFormatOpt = None,
    output: OutputOpt = None,
    excel: ExcelOpt = False,
    utc: UtcOpt = False,
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Growth of every account over a period."""
    name = words.growth_period(period, CLI)
    chosen = choose_format(fmt, output, SHEET_FORMATS, default="table", excel=excel)
    ctx = command_context(config, env_file)
    moment = words.at(at, ctx.settings.timezone, system_clock(), CLI)
    rows = views.growth_rows(
        ctx.engine, ctx.settings, period=name, at=moment, group=group, removed=all_
    )
    title = "Growth year to date" if name == "ytd" else f"Growth over {name}"
    emit(
        rows,
        views.GROWTH_COLUMNS,
        chosen,
        output=output,
        title=title,
        tz=ctx.zone(utc),
        excel=excel,
        sheet=title,
    )


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
    all_: AllOpt = False,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="table, csv, json, text, markdown, html or xlsx."),
    ] = None,
    output: OutputOpt = None,
    excel: ExcelOpt = False,
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """The annual (or --from/--to) report: start and end counts, change, growth %, posts."""
    from bot.query.report_text import REPORT_FORMATS, write

    chosen = choose_format(
        fmt,
        output,
        (*REPORT_FORMATS, "html", "xlsx"),
        default="table",
        excel=excel,
        suffixes=REPORT_SUFFIXES,
    )
    ctx = command_context(config, env_file)
    period = words.report_period(year, from_, to, ctx.settings, CLI, now=system_clock())
    entries = views.report_entries(
        ctx.engine, first=period.first, last=period.last, tz=ctx.settings.timezone, removed=all_
    )
    if chosen == "xlsx" and output is not None:
        from bot.query.report_sheet import report_workbook

        save(output, report_workbook(period, entries, ctx.settings))
        return
    if chosen == "html":
        from bot.query.report_html import render_html, report_series

        series = report_series(ctx.engine, period, entries)
        page = render_html(period, entries, ctx.settings, series)
        if output is not None:
            save(output, page.encode("utf-8"))
        else:
            typer.echo(page, nl=False)
        return
    buffer = io.StringIO() if output is not None else None
    write(period, entries, ctx.settings, chosen, out=buffer, excel=excel)
    if buffer is not None and output is not None:
        save(output, buffer.getvalue().encode("utf-8"))


def chart(
    account: AccountArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="The PNG file to write.")],
    since: SinceOpt = None,
    until: UntilOpt = None,
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Draw one account's followers history as a PNG (suspect points left out)."""
    from bot.output.charts import followers_chart_png
    words.png_output(output, CLI)
    ctx = command_context(config, env_file)
    first, last = words.since_until(since, until, ctx.settings.timezone, CLI)
    title, stored = views.chart_series(ctx.engine, account, since=first, until=last)
    # A snapshot dated outside the bounds the query words accept cannot be placed on an axis.
    points = [point for point in stored if words.in_range(point.at)]
    png = followers_chart_png(points, title=title, tz=ctx.settings.timezone)
    try:
        write_atomic(output, png)
    except OSError as exc:
        reason = exc.strerror or exc
        raise InputError(f"--output: cannot write {output}: {reason}", field="output") from None
    typer.echo(f"{output}: {len(points)} snapshots drawn")
