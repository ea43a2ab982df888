"""The dashboard's pages: overview, account, digests, status, and the account's daily download."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine

from bot.api.dashboard import account as accounts
from bot.api.dashboard import downloads
from bot.api.dashboard.data import WINDOWS, overview
from bot.api.dashboard.render import HERE, Pages, account_url, headers
from bot.clock import Clock
from bot.config import Settings
from bot.daemon import status as health
from bot.errors import UnknownAccountError, UserError
from bot.output.text import API, account_key
from bot.query import rows as views
from bot.query import words
from bot.store import digests as runs

_STATIC = {"dashboard.js": "text/javascript; charset=utf-8"}
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def filename(*parts: str) -> str:
    """A download's file name from untrusted parts: letters, digits, ``.``, ``_`` and ``-``."""
    return "-".join(_UNSAFE_NAME.sub("_", part).strip("_") or "_" for part in parts)


def attachment(body: bytes | str, media_type: str, name: str) -> Response:
    """A download: the dashboard's headers and ``Content-Disposition: attachment``."""
    extra = {**headers(), "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type=media_type, headers=extra)


def refused(pages: Pages, exc: UserError) -> HTMLResponse:
    """A mistake in a page's query as a page: 404 for an unknown account, else 400."""
    status = 404 if isinstance(exc, UnknownAccountError) else 400
    return pages.page("error", status=status, message=str(exc))


def page_routes(
    app: FastAPI,
    settings: Settings,
    engine: Engine,
    clock: Clock,
    pages: Pages,
    guard: list[Any],
) -> None:
    """Overview, status and the script every page shares; then the account and digest pages."""

    @app.get("/static/{name}", dependencies=guard, include_in_schema=False)
    def static(name: str) -> Response:
        """The dashboard's own script (an allow-list: no path is read from the request)."""
        if name not in _STATIC:
            return Response("not found", status_code=404, media_type="text/plain")
        body = (HERE / "static" / name).read_bytes()
        return Response(body, media_type=_STATIC[name], headers=headers())

    @app.get("/", dependencies=guard, include_in_schema=False)
    def home(group: str = "", platform: str = "") -> Response:
        """The overview: groups with totals, every account with its changes; filters."""
        view = overview(
            engine, settings, clock(), group=group or None, platform=platform or None
        )
        windows = [heading for heading, _ in WINDOWS]
        return pages.page("overview", view=view, group=group, platform=platform, windows=windows)

    @app.get("/ui/status", dependencies=guard, include_in_schema=False)
    def status_page() -> Response:
        """What ``bot status`` says."""
        return pages.page("status", report=health.status(engine, settings, clock()))

    account_routes(app, settings, engine, clock, pages, guard)
    digest_routes(app, settings, engine, clock, pages, guard)


def account_routes(
    app: FastAPI,
    settings: Settings,
    engine: Engine,
    clock: Clock,
    pages: Pages,
    guard: list[Any],
) -> None:
    """One account's page and its daily table as a download."""

    @app.get("/ui/accounts/{platform}/{handle:path}", dependencies=guard, include_in_schema=False)
    def account_page(
        platform: str,
        handle: str,
        range_: str = Query("90d", alias="range"),
        from_: str = Query("", alias="from"),
        to: str = "",
    ) -> Response:
        """One account: charts over a range, milestones, the next one, the daily table."""
        key = account_key(platform, handle)
        try:
            chosen = accounts.span(range_, from_, to, settings, clock())
            page = accounts.account_page(engine, settings, key, chosen, clock())
        except UserError as exc:
            return refused(pages, exc)
        query = {"account": key, "range": chosen.name}
        if chosen.name == "custom":
            query.update({"from": chosen.start, "to": chosen.end})
        return pages.page(
            "account",
            page=page,
            span=chosen,
            ranges=accounts.RANGES,
            here=account_url(page.platform, page.handle),
            daily_url="/ui/daily",
            query=urlencode(query),
        )

    @app.get("/ui/daily.{fmt}", dependencies=guard, include_in_schema=False)
    def daily(
        fmt: str,
        account: str,
        range_: str = Query("90d", alias="range"),
        from_: str = Query("", alias="from"),
        to: str = "",
    ) -> Response:
        """The account page's daily table as CSV or XLSX."""
        API.choice("format", fmt, ("csv", "xlsx"))
        chosen = accounts.span(range_, from_, to, settings, clock())
        rows = views.snapshot_rows(
            engine, settings, account, since=chosen.since, until=chosen.until, every="day"
        )
        name = filename(*account.split(":", 1), "daily", chosen.name) + f".{fmt}"
        tz = settings.timezone
        if fmt == "csv":
            text = downloads.csv_text(rows, views.SNAPSHOT_COLUMNS, tz)
            return attachment(text, "text/csv; charset=utf-8", name)
        heads, body = downloads.table(rows, views.SNAPSHOT_COLUMNS, tz)
        return attachment(downloads.workbook_bytes(heads, body, tz), downloads.XLSX, name)


def digest_routes(
    app: FastAPI,
    settings: Settings,
    engine: Engine,
    clock: Clock,
    pages: Pages,
    guard: list[Any],
) -> None:
    """The archive of sent digests, and any day's digest as its HTML email."""

    @app.get("/ui/digests", dependencies=guard, include_in_schema=False)
    def digest_archive() -> Response:
        """Every recorded delivery, newest first, and today's digest so far."""
        today = clock().astimezone(settings.timezone).date()
        return pages.page("digests", runs=runs.recent_runs(engine), today=today)

    @app.get("/ui/digests/{day}", dependencies=guard, include_in_schema=False)
    def digest_page(day: str) -> Response:
        """One day's digest as the HTML email shows it (charts embedded)."""
        from bot.digest import build_digest, render_html

        now = clock()
        try:
            chosen = words.day(day, settings.timezone, now, API)
        except UserError as exc:
            return refused(pages, exc)
        built = build_digest(engine, settings, chosen, now=now)
        return HTMLResponse(render_html(built).standalone(), headers=headers())
