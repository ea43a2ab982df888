"""The report in words: plain-text sentences and Markdown, plus the table/csv/json entry point.

Sentences read like an annual report: "X (@DGSN_MAROC): 317,074 followers on 31 Dec 2021,
+90,592 (+40.00%) on a year before; 1,061 posts published."
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, TextIO

from bot import growth
from bot.config import Settings
from bot.output.tables import FORMATS, Column, render
from bot.output.text import NULL, change, isolate, literal, md, number, percent, signed
from bot.platforms import REGISTRY
from bot.query.report import GROUPS_NOTE, GroupTotal, Period, document, group_totals
from bot.query.rows import REPORT_COLUMNS, ReportEntry, report_json_line, report_table_rows

REPORT_FORMATS: tuple[str, ...] = (*FORMATS, "text", "markdown")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PLAIN_HANDLE = re.compile(r"[A-Za-z0-9_.]{1,23}|[A-Za-z0-9_.]+@[A-Za-z0-9.-]+")


# --- Words ---------------------------------------------------------------------------------


def day_text(day: date) -> str:
    """``31 Dec 2021`` (English month names whatever the locale)."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def days_text(first: date, last: date) -> str:
    """``1 Jan to 1 Dec 2026``, or ``1 Mar 2026 to 5 Jan 2027`` across years."""
    if first.year != last.year:
        return f"{day_text(first)} to {day_text(last)}"
    return f"{first.day} {_MONTHS[first.month - 1]} to {day_text(last)}"


def title(period: Period) -> str:
    """``Annual report 2021``, ``Report 1 Mar 2021 to 30 Jun 2021``, or one so far.

    A period not over names the days it covers and the day it is compared with:
    ``Annual report 2026, so far: 1 Jan to 1 Dec 2026, against 31 Dec 2025``.
    """
    if period.year is not None:
        name = f"Annual report {period.year}"
    else:
        asked = period.asked_last_day or period.last_day
        name = f"Report {day_text(period.first_day)} to {day_text(asked)}"
    if period.complete:
        return name
    covered = days_text(period.first_day, period.last_day)
    return f"{name}, so far: {covered}, against {day_text(period.against_day)}"


def basis(period: Period, settings: Settings, *, imported: bool = False) -> str:
    """One sentence on what the figures are (and on imported totals, when there are any)."""
    totals = (
        "; an imported total (bot import --figures) replaces the counter where one covers"
        " exactly the period"
        if imported
        else ""
    )
    if period.complete:
        end = f"the end ({day_text(period.last_day)}) of the period"
    else:
        moment = period.last.astimezone(settings.timezone)
        end = (
            f"now ({day_text(period.last_day)} {moment:%H:%M}; the period ends on"
            f" {day_text(period.asked_last_day or period.last_day)})"
        )
    return (
        f"Figures are the last good snapshot on or before the start ({day_text(period.first_day)})"
        f" and {end}, in {settings.timezone.key};"
        " posts published is the change of the post counter (deleted posts are not counted)"
        f"{totals}."
    )


def _any_imported(entries: Sequence[ReportEntry]) -> bool:
    return any(entry.posts_source == "imported" for entry in entries)


def account_name(entry: ReportEntry) -> str:
    """``X (@DGSN_MAROC)``, or the configured label (isolated) with the handle; literal."""
    shown = literal(entry.handle)
    if not shown.startswith("@") and _PLAIN_HANDLE.fullmatch(shown):
        shown = "@" + shown
    name = isolate(entry.label) if entry.label else platform_title(entry.platform)
    return f"{name} ({shown})"


def platform_title(name: str) -> str:
    """A platform's display name: the adapter's ``title`` or class name, else the name."""
    adapter = REGISTRY.get(name)
    if adapter is None:
        return name
    if adapter.title:
        return adapter.title
    # Class names spell brands the way they are written (YouTube, GitHub).
    return adapter.__name__ if adapter.__name__.lower() == name else name.capitalize()


def _local_day(point: growth.Point, settings: Settings) -> date:
    return point.at.astimezone(settings.timezone).date()


def _comparison(period: Period, start_day: date | None) -> str:
    """``on a year before`` when a whole year is compared with its eve, else ``since D``."""
    eve = period.first_day - timedelta(days=1)
    if period.year is not None and (start_day is None or start_day >= eve):
        # A year not over is not "a year before": it is compared with its eve.
        return "on a year before" if period.complete else f"since {day_text(eve)}"
    return f"since {day_text(start_day or period.first_day)}"


def _posts_text(posts: int | None) -> str:
    if posts is None:
        return "no post count"
    if posts < 0:
        return f"the post count fell by {number(-posts)} (deleted posts)"
    return f"{number(posts)} post{'' if posts == 1 else 's'} published"


def _entry_posts(entry: ReportEntry) -> str:
    """Posts published, saying when the figure is an imported total (and what the counter says)."""
    text = _posts_text(entry.line.posts_in_period)
    if entry.posts_source != "imported":
        return text
    if entry.counter_posts is None:
        return f"{text} (an imported total)"
    return f"{text} (an imported total; the post counter says {number(entry.counter_posts)})"


def account_sentence(entry: ReportEntry, period: Period, settings: Settings) -> str:
    """``317,074 followers on 31 Dec 2021, +90,592 (+40.00%) on a year before; 1,061 posts…``."""
    line = entry.line
    if line.end is None:
        return f"no data up to {day_text(period.last_day)}."
    end_day = day_text(_local_day(line.end, settings))
    if line.end.followers is None:
        figure = f"no follower count on {end_day}"
    else:
        about = "about " if line.end.precision > 1 else ""
        figure = f"{about}{number(line.end.followers)} followers on {end_day}"
    if line.start is None:
        return f"{figure}; no figure on or before {day_text(period.first_day)} to compare with."
    since = _comparison(period, _local_day(line.start, settings))
    if line.followers_change is not None:
        figure += f", {change(line.followers_change, line.followers_growth_pct)} {since}"
    elif line.end.followers is not None:
        figure += f", no follower count {since} to compare with"
    return f"{figure}; {_entry_posts(entry)}."


def group_sentence(total: GroupTotal, period: Period) -> str:
    """``599,712 followers on 31 Dec 2021, +181,327 (+43.33%) on a year before (2 of 2 …)``."""
    if total.end_followers is None or total.followers_change is None:
        return (
            f"no account has a follower count at both ends of the period"
            f" (0 of {total.accounts}); {_posts_text(total.posts_in_period)}."
        )
    about = "about " if total.rounded else ""
    since = _comparison(period, None)
    moved = change(total.followers_change, total.followers_growth_pct)
    return (
        f"{about}{number(total.end_followers)} followers on {day_text(period.last_day)}, {moved}"
        f" {since} ({_of(total.counted, total.accounts)});"
        f" {_posts_text(total.posts_in_period)}"
        f"{_posts_of(total)}."
    )


def _of(counted: int, accounts: int) -> str:
    return f"{counted} of {accounts} account{'' if accounts == 1 else 's'}"


def _posts_of(total: GroupTotal) -> str:
    if total.posts_in_period is None:
        return ""
    notes = []
    if total.posts_accounts != total.accounts:
        notes.append(f"{_of(total.posts_accounts, total.accounts)} with a post count")
    if total.posts_imported:
        plural = "s" if total.posts_imported > 1 else ""
        notes.append(f"{total.posts_imported} imported total{plural} included")
    return f" ({'; '.join(notes)})" if notes else ""


# --- Renderers -----------------------------------------------------------------------------


def write(
    period: Period,
    entries: Sequence[ReportEntry],
    settings: Settings,
    fmt: str,
    *,
    out: TextIO | None = None,
    excel: bool = False,
) -> None:
    """Write the report in ``fmt``: text, markdown, or the shared table/csv/json formatter."""
    stream = out or sys.stdout
    if fmt == "text":
        stream.write(render_text(period, entries, settings))
        return
    if fmt == "markdown":
        stream.write(render_markdown(period, entries, settings))
        return
    lines = [report_json_line(entry, settings) for entry in entries]
    heading = title(period)
    render(
        report_table_rows(lines),
        dated(REPORT_COLUMNS, period),
        fmt,
        out=stream,
        title=heading,
        document=document(period, entries, settings),
        excel=excel,
    )
    totals = group_totals(entries)
    if fmt == "table" and totals:
        rows = [group_row(total) for total in totals]
        named = "Groups (accounts counted at both ends)"
        render(rows, dated(GROUP_COLUMNS, period), fmt, out=stream, title=named)


def dated(columns: Sequence[Column], period: Period) -> list[Column]:
    """The columns with the start and end followers headed by the days they stand for."""
    days = {
        "start_followers": day_text(period.against_day),
        "end_followers": day_text(period.last_day),
    }
    return [
        replace(c, heading=f"{c.heading} {days[c.key]}") if c.key in days else c for c in columns
    ]


GROUP_COLUMNS = (
    Column("group", "Group"),
    Column("counted", "Accounts counted"),
    Column("start_followers", "Followers", numeric=True),
    Column("end_followers", "Followers", numeric=True),
    Column("followers_change", "Change", numeric=True, signed=True),
    Column("followers_growth_pct", "Growth", numeric=True, percent=True),
    Column("posts_in_period", "Posts published", numeric=True),
)


def group_row(total: GroupTotal) -> dict[str, Any]:
    """A group total as a table row."""
    return {
        "group": total.group,
        "counted": f"{total.counted} of {total.accounts}",
        "start_followers": total.start_followers,
        "end_followers": total.end_followers,
        "followers_change": total.followers_change,
        "followers_growth_pct": total.followers_growth_pct,
        "posts_in_period": total.posts_in_period,
    }


def render_text(period: Period, entries: Sequence[ReportEntry], settings: Settings) -> str:
    """The report as plain sentences, one per account and per group."""
    heading = title(period)
    about = basis(period, settings, imported=_any_imported(entries))
    lines = [heading, "=" * len(heading), about, "", "Accounts"]
    if not entries:
        lines.append("No accounts are stored yet.")
    for entry in entries:
        lines.append(f"{account_name(entry)}: {account_sentence(entry, period, settings)}")
    totals = group_totals(entries)
    if totals:
        lines += ["", "Groups", GROUPS_NOTE]
        lines += [f"{literal(t.group)}: {group_sentence(t, period)}" for t in totals]
    return "\n".join(lines) + "\n"


def render_markdown(period: Period, entries: Sequence[ReportEntry], settings: Settings) -> str:
    """The report as Markdown: sentences, then a table, per account and per group."""
    about = basis(period, settings, imported=_any_imported(entries))
    lines = [f"# {title(period)}", "", f"*{about}*", "", "## Accounts", ""]
    if not entries:
        lines.append("No accounts are stored yet.")
    else:
        lines += [
            f"- **{md(account_name(e))}**: {md(account_sentence(e, period, settings))}"
            for e in entries
        ]
        lines += ["", *_account_table(entries, period, settings)]
    totals = group_totals(entries)
    if totals:
        lines += ["", "## Groups", "", GROUPS_NOTE, ""]
        lines += [f"- **{md(literal(t.group))}**: {md(group_sentence(t, period))}" for t in totals]
        lines += ["", *_group_table(totals, period)]
    return "\n".join(lines) + "\n"


def _headings(period: Period) -> tuple[str, str]:
    """``Followers 31 Dec 2021`` and ``Change since 31 Dec 2020``: the days compared."""
    return (
        f"Followers {day_text(period.last_day)}",
        f"Change since {day_text(period.against_day)}",
    )


def _account_table(entries: Sequence[ReportEntry], period: Period, settings: Settings) -> list[str]:
    followers, since = _headings(period)
    rows = [
        f"| Account | {followers} | On | {since} | Growth | Posts published |",
        "|:--|--:|:--|--:|--:|--:|",
    ]
    for entry in entries:
        line, end = entry.line, entry.line.end
        cells = [
            md(account_name(entry)),
            _about(end) + number(end.followers if end else None),
            day_text(_local_day(end, settings)) if end else NULL,
            signed(line.followers_change),
            percent(line.followers_growth_pct),
            number(line.posts_in_period)
            + (" (imported)" if entry.posts_source == "imported" else ""),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def _group_table(totals: Sequence[GroupTotal], period: Period) -> list[str]:
    followers, since = _headings(period)
    rows = [
        f"| Group | Accounts counted | {followers} | {since} | Growth | Posts published |",
        "|:--|--:|--:|--:|--:|--:|",
    ]
    for total in totals:
        cells = [
            md(literal(total.group)),
            f"{total.counted} of {total.accounts}",
            ("~" if total.rounded else "") + number(total.end_followers),
            signed(total.followers_change),
            percent(total.followers_growth_pct),
            number(total.posts_in_period),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def _about(point: growth.Point | None) -> str:
    """``~`` before a count its platform rounded."""
    return "~" if point is not None and point.followers is not None and point.precision > 1 else ""
