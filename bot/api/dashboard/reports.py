"""The report page (year or range form, sentences, group table) and its HTML/CSV/XLSX downloads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from io import StringIO
from typing import Any
from urllib.parse import urlencode

from fastapi import Query
from fastapi.responses import Response

from bot.api.dashboard import downloads
from bot.api.dashboard.pages import Site, attachment, filename
from bot.config import Settings
from bot.errors import UserError
from bot.output.tables import Column
from bot.output.text import API
from bot.query import report_html, report_text, words
from bot.query import rows as views
from bot.query.report import Period
from bot.query.rows import ReportEntry


def _period(year: str, start: str, end: str, settings: Settings, now: datetime) -> Period:
    """The form's ``year`` or ``from``/``to`` (empty fields are not given)."""
    number: int | None = None
    if year.strip():
        if not year.strip().isdigit():
            raise API.error("year", f"expected a year like 2021, got {year.strip()!r}")
        number = int(year)
    return words.report_period(number, start or None, end or None, settings, API, now=now)


def _query(year: str, start: str, end: str) -> str:
    """The form's fields for the download links."""
    return urlencode({"year": year} if year else {"from": start, "to": end})


def report_routes(site: Site) -> None:
    """``/ui/report`` and ``/ui/report.{html,csv,xlsx}``."""

    @site.route("/ui/report")
    def report_page(year: str = "", from_: str = Query("", alias="from"), to: str = "") -> Response:
        """Last year's report by default; the sentences ready to copy and the group table."""
        if not (year or from_ or to):
            year = str(site.clock().astimezone(site.settings.timezone).year - 1)
        values: dict[str, Any] = {"year": year, "start": from_, "end": to}
        try:
            period = _period(year, from_, to, site.settings, site.clock())
        except UserError as exc:
            return site.pages.page("report", status=400, heading="Report", error=str(exc), **values)
        entries = views.report_entries(
            site.engine, first=period.first, last=period.last, tz=site.settings.timezone
        )
        return site.pages.page(
            "report",
            period=period,
            query=_query(year, from_, to),
            **values,
            **report_html.context(period, entries, site.settings),
        )

    @site.route("/ui/report.{fmt}")
    def report_download(
        fmt: str, year: str = "", from_: str = Query("", alias="from"), to: str = ""
    ) -> Response:
        """The report as a printable HTML document, CSV or XLSX."""
        API.choice("format", fmt, ("html", "csv", "xlsx"))
        period = _period(year, from_, to, site.settings, site.clock())
        entries = views.report_entries(
            site.engine, first=period.first, last=period.last, tz=site.settings.timezone
        )
        span = year or f"{from_}-to-{to}"
        name = filename("report", span) + f".{fmt}"
        if fmt == "html":
            series = report_html.report_series(site.engine, period, entries)
            page = report_html.render_html(period, entries, site.settings, series)
            return attachment(page, "text/html; charset=utf-8", name)
        if fmt == "csv":
            out = StringIO()
            report_text.write(period, entries, site.settings, "csv", out=out)
            return attachment(out.getvalue(), "text/csv; charset=utf-8", name)
        return attachment(_workbook(entries, site.settings), downloads.XLSX, name)


def _workbook(entries: Sequence[ReportEntry], settings: Settings) -> bytes:
    """The report's table as an XLSX workbook, each account's label beside its handle."""
    lines = [views.report_json_line(entry, settings) for entry in entries]
    rows = [
        {**row, "label": entry.label}
        for row, entry in zip(views.report_table_rows(lines), entries, strict=True)
    ]
    columns = (*views.REPORT_COLUMNS[:2], Column("label", "Label"), *views.REPORT_COLUMNS[2:])
    heads, body = downloads.table(rows, columns, settings.timezone)
    return downloads.workbook_bytes(heads, body, settings.timezone)
