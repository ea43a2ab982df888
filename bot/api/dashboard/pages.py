"""The dashboard's pages: overview, account, digests, status, and the account's daily download."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
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
Handler = TypeVar("Handler", bound=Callable[..., Any])


def filename(*parts: str) -> str:
    """A download's file name from untrusted parts: letters, digits, ``.``, ``_`` and ``-``."""
    return "-".join(_UNSAFE_NAME.sub("_", part).strip("_") or "_" for part in parts)


def attachment(body: bytes | str, media_type: str, name: str) -> Response:
    """A download: the dashboard's headers and ``Content-Disposition: attachment``."""
    extra = {**headers(), "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type=media_type, headers=extra)


@dataclass(frozen=True)
class Site:
    """What every page's routes use: the app, the config, the store, the clock, the templates
    and the login guard."""

    app: FastAPI
    settings: Settings
    engine: Engine
    clock: Clock
    pages: Pages
    guard: list[Any]

    def route(self, path: str) -> Callable[[Handler], Handler]:
        """A page's GET route: behind the login guard, left out of the API's schema."""
        return self.app.get(path, dependencies=self.guard, include_in_schema=False)


def refused(pages: Pages, exc: UserError) -> HTMLResponse:
    """A mistake in a page's query as a page: 404 for an unknown account, else 400."""
    status = 404 if isinstance(exc, UnknownAccountError) else 400
    return pages.page("error", status=status, message=str(exc))


def page_routes(site: Site) -> None:
    """Overview, status and the script every page shares; then the account and digest pages."""

    @site.route("/static/{name}")
    def static(name: str) -> Response:
        """The dashboard's own script (an allow-list: no path is read from the request)."""
        if name not in _STATIC:
            return Response("not found", status_code=404, media_type="text/plain")
        body = (HERE / "static" / name).read_bytes()
        return Response(body, media_type=_STATIC[name], headers=headers())

    @site.route("/")
    def home(group: str = "", platform: str = "") -> Response:
        """The overview: groups with totals, every account with its changes; filters."""
        view = overview(
            site.engine, site.settings, site.clock(), group=group or None, platform=platform or None
        )
        windows = [heading for heading, _ in WINDOWS]
        return site.pages.page(
            "overview", view=view, group=group, platform=platform, windows=windows
        )

    @site.route("/ui/status")
    def status_page() -> Response:
        """What ``bot status`` says."""
        return site.pages.page(
            "status", report=health.status(site.engine, site.settings, site.clock())
        )

    account_routes(site)
    digest_routes(site)


def account_routes(site: Site) -> None:
    """One account's page and its daily table as a download."""

    @site.route("/ui/accounts/{platform}/{handle:path}")
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
            chosen = accounts.span(range_, from_, to, site.settings, site.clock())
            page = accounts.account_page(site.engine, site.settings, key, chosen, site.clock())
        except UserError as exc:
            return refused(site.pages, exc)
        query = {"account": key, "range": chosen.name}
        if chosen.name == "custom":
            query.update({"from": chosen.start, "to": chosen.end})
        return site.pages.page(
            "account",
            page=page,
            span=chosen,
            ranges=accounts.RANGES,
            here=account_url(page.platform, page.handle),
            daily_url="/ui/daily",
            query=urlencode(query),
        )

    @site.route("/ui/daily.{fmt}")
    def daily(
        fmt: str,
        account: str,
        range_: str = Query("90d", alias="range"),
        from_: str = Query("", alias="from"),
        to: str = "",
    ) -> Response:
        """The account page's daily table as CSV or XLSX."""
        API.choice("format", fmt, ("csv", "xlsx"))
        chosen = accounts.span(range_, from_, to, site.settings, site.clock())
        rows = views.snapshot_rows(
            site.engine, site.settings, account, since=chosen.since, until=chosen.until, every="day"
        )
        name = filename(*account.split(":", 1), "daily", chosen.name) + f".{fmt}"
        tz = site.settings.timezone
        if fmt == "csv":
            text = downloads.csv_text(rows, views.SNAPSHOT_COLUMNS, tz)
            return attachment(text, "text/csv; charset=utf-8", name)
        heads, body = downloads.table(rows, views.SNAPSHOT_COLUMNS, tz)
        return attachment(downloads.workbook_bytes(heads, body, tz), downloads.XLSX, name)


def digest_routes(site: Site) -> None:
    """The archive of sent digests, and any day's digest as its HTML email."""

    @site.route("/ui/digests")
    def digest_archive() -> Response:
        """Every recorded delivery, newest first, and today's digest so far."""
        today = site.clock().astimezone(site.settings.timezone).date()
        return site.pages.page("digests", runs=runs.recent_runs(site.engine), today=today)

    @site.route("/ui/digests/{day}")
    def digest_page(day: str) -> Response:
        """One day's digest as the HTML email shows it (charts embedded)."""
        from bot.digest import build_digest, render_html

        now = site.clock()
        try:
            chosen = words.day(day, site.settings.timezone, now, API)
        except UserError as exc:
            return refused(site.pages, exc)
        built = build_digest(site.engine, site.settings, chosen, now=now)
        return HTMLResponse(render_html(built).standalone(), headers=headers())
