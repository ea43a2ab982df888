"""The report as one printable HTML document: sentences, group totals, a chart per account.

Everything is inline (styles and SVG charts), so the file opens offline, mails as it is and prints
on A4 (``@page``). Labels are escaped by Jinja's autoescape and isolated in ``<bdi>``. The words are
the text report's (bot/query/report_text.py); the charts are bot/output/svg.py's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import Engine

from bot.config import Settings
from bot.kinds import Quality
from bot.output.svg import Mark, line_chart
from bot.output.text import html, isolate, literal, number, percent, signed
from bot.query import report_text
from bot.query.report import GROUPS_NOTE, Period, group_totals
from bot.query.rows import ReportEntry
from bot.store import history
from bot.store.listing import listed_accounts

TEMPLATES = Path(__file__).parent / "templates"


def bidi(text: str) -> Markup:
    """Composed text (labels between the bot's isolates) escaped, each isolate a ``<bdi>``."""
    return Markup(html(text))


# The filters every HTML face shares: ``1,234``, ``+1,234``, ``+47.28%`` (or the dash), and
# ``bidi`` for a name whose label must keep its own direction.
FILTERS: dict[str, Callable[..., str]] = {
    "num": number,
    "signed": signed,
    "pct": percent,
    "bidi": bidi,
    "lit": literal,
}
Series = Mapping[tuple[str, str], Sequence[Mark]]


def environment(*folders: Path) -> Environment:
    """A Jinja environment over ``folders`` and this one, escaping every HTML value."""
    env = Environment(
        loader=FileSystemLoader([*folders, TEMPLATES]),
        autoescape=select_autoescape(["html", "css"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def report_series(
    engine: Engine, period: Period, entries: Sequence[ReportEntry] = ()
) -> dict[tuple[str, str], list[Mark]]:
    """Every account's follower counts over the period, suspect ones flagged.

    The charts start at the earliest start figure of ``entries`` (the last good snapshot on or
    before the period's start), so the line begins where the sentences' comparison does.
    """
    starts = [entry.line.start.at for entry in entries if entry.line.start is not None]
    since = min([period.first, *starts])
    with engine.connect() as connection:
        accounts = listed_accounts(connection)
        if entries:
            # The entries' accounts, removed ones included when the report was asked --all.
            wanted = {(entry.platform, entry.handle) for entry in entries}
            every = listed_accounts(connection, removed=True)
            accounts = [a for a in every if (a.platform, a.handle) in wanted]
        found = history.snapshots_between(
            connection,
            [a.id for a in accounts],
            since=since,
            until=period.last,
        )
    return {
        (a.platform, a.handle): [
            Mark(r.captured_at, r.followers, r.quality == Quality.SUSPECT)
            for r in found.get(a.id, [])
        ]
        for a in accounts
    }


def context(
    period: Period, entries: Sequence[ReportEntry], settings: Settings
) -> dict[str, Any]:
    """The values a report page or document shows (shared with the dashboard's report page)."""
    imported = any(entry.posts_source == "imported" for entry in entries)
    totals = group_totals(entries)
    return {
        "heading": report_text.title(period),
        "basis": report_text.basis(period, settings, imported=imported),
        "sentences": [
            (report_text.account_name(e), report_text.account_sentence(e, period, settings))
            for e in entries
        ],
        "groups": totals,
        "groups_note": GROUPS_NOTE,
        "group_sentences": [
            (isolate(t.group), report_text.group_sentence(t, period)) for t in totals
        ],
        "text": report_text.render_text(period, entries, settings),
    }


def render_html(
    period: Period, entries: Sequence[ReportEntry], settings: Settings, series: Series
) -> str:
    """The standalone printable document."""
    charts = [
        (
            report_text.account_name(entry),
            line_chart(
                series.get((entry.platform, entry.handle), ()),
                title=f"{report_text.account_name(entry)}: followers",
                tz=settings.timezone,
                width=520,
                height=200,
            ),
        )
        for entry in entries
    ]
    page = environment().get_template("report.html")
    return page.render(**context(period, entries, settings), charts=charts)
