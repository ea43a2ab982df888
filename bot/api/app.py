"""The read-only HTTP API (`bot serve`): the query commands' JSON over HTTP, behind a token.

Every route answers what the matching command prints with ``--format json``, with the same
field names. A mistake in a query is a 400 (an unknown account a 404) with ``{"error": "..."}``.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import signal
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any

import uvicorn
from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine, text

from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.daemon import status as health
from bot.errors import InputError, UnknownAccountError, UserError
from bot.query import rows as views
from bot.text import plain

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def create_app(settings: Settings, engine: Engine, *, clock: Clock = system_clock) -> FastAPI:
    """The API over one database; requests need ``Authorization: Bearer <BOT_API_TOKEN>``."""
    app = FastAPI(
        title="social-monitor-bot",
        summary="Read-only access to the stored snapshots, growth, reports and digests.",
        docs_url="/docs",
        redoc_url=None,
    )
    guard = [Depends(_require_token(settings))]

    @app.exception_handler(UserError)
    async def user_error(_request: Request, exc: UserError) -> JSONResponse:
        status = 404 if isinstance(exc, UnknownAccountError) else 400
        return JSONResponse({"error": str(exc)}, status_code=status)

    @app.exception_handler(_Unauthorized)
    async def unauthorized(_request: Request, _exc: _Unauthorized) -> JSONResponse:
        return JSONResponse(
            {"error": "missing or wrong bearer token (BOT_API_TOKEN)"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.get("/healthz")
    def healthz() -> Response:
        """Liveness and database reachability; no token needed."""
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return _json({"status": "ok"})

    _history_routes(app, settings, engine, clock, guard)
    _document_routes(app, settings, engine, clock, guard)
    return app


def _history_routes(
    app: FastAPI, settings: Settings, engine: Engine, clock: Clock, guard: list[Any]
) -> None:
    """Accounts, snapshots and growth: the tables of the query commands."""

    @app.get("/accounts", dependencies=guard)
    def accounts(group: str | None = None) -> Response:
        """Like ``bot accounts -f json``."""
        return _json(views.account_rows(engine, group))

    @app.get("/accounts/{platform}/{handle}/snapshots", dependencies=guard)
    def snapshots(
        platform: str,
        handle: str,
        since: str | None = None,
        until: str | None = None,
        every: str = "raw",
    ) -> Response:
        """Like ``bot snapshots PLATFORM:HANDLE -f json``."""
        start = (
            views.parse_when(since, settings, option="since", end_of_day=False) if since else None
        )
        end = views.parse_when(until, settings, option="until", end_of_day=True) if until else None
        rows = views.snapshot_rows(
            engine, settings, f"{platform}:{handle}", since=start, until=end, every=every
        )
        return _json(rows)

    @app.get("/growth", dependencies=guard)
    def growth(period: str = "7d", at: str | None = None, group: str | None = None) -> Response:
        """Like ``bot growth -f json``."""
        from bot.growth import parse_period

        try:
            parse_period(period)
        except ValueError as exc:
            raise InputError(f"period: {exc}") from None
        moment = views.parse_when(at, settings, option="at", end_of_day=True) if at else clock()
        return _json(views.growth_rows(engine, settings, period=period, at=moment, group=group))


def _document_routes(
    app: FastAPI, settings: Settings, engine: Engine, clock: Clock, guard: list[Any]
) -> None:
    """The report, the digest and the daemon's status: whole JSON documents."""

    @app.get("/report", dependencies=guard)
    def report(
        year: int | None = None,
        from_: Annotated[str | None, Query(alias="from")] = None,
        to: str | None = None,
    ) -> Response:
        """Like ``bot report -f json``: ``?year=2021`` or ``?from=D&to=D``."""
        from bot.query import report as reports

        if (year is None) == (from_ is None and to is None) or (
            year is None and not (from_ and to)
        ):
            raise InputError("report: give either year=YYYY or from=D&to=D")
        if year is not None:
            if not 1970 <= year <= 9998:
                raise InputError(f"year: expected a year like 2021, got {year}")
            period = reports.year_period(year, settings)
        else:
            period = reports.range_period(from_ or "", to or "", settings)
        entries = views.report_entries(engine, first=period.first, last=period.last)
        return _json(reports.document(period, entries, settings))

    @app.get("/digest", dependencies=guard)
    def digest(date: str = "today", period: str = "day") -> Response:
        """Like ``bot digest -f json``: ``?date=`` and ``?period=`` as its options."""
        from bot.digest import build_digest
        from bot.digest.periods import check_period, parse_day, period_end
        from bot.digest.render_json import render_json

        check_period(period)
        now = clock()
        if period == "day":
            day = parse_day(date, settings.timezone, now)
        else:
            day = period_end(settings.timezone, period, None if date == "today" else date, now)
        built = build_digest(engine, settings, day, now=now, period=period)
        return Response(render_json(built), media_type="application/json")

    @app.get("/status", dependencies=guard)
    def status() -> Response:
        """Like ``bot status -f json``."""
        return _json(health.status(engine, settings, clock()))


def _json(payload: Any) -> Response:
    """The CLI's JSON (UTC instants with Z, nulls kept) as a response."""
    body = json.dumps(plain(payload), ensure_ascii=False)
    return Response(body, media_type="application/json")


def _require_token(settings: Settings) -> Callable[[Request], Awaitable[None]]:
    """A dependency checking the bearer token; without BOT_API_TOKEN every caller is let in."""
    expected = settings.api_token.reveal().encode() if settings.api_token else None

    async def check(request: Request) -> None:
        if expected is None:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        # compare_digest: the time taken must not tell how much of a guess was right.
        if scheme.lower() != "bearer" or not secrets.compare_digest(given.encode(), expected):
            raise _Unauthorized()

    return check


class _Unauthorized(Exception):
    """A request without the right token."""


class _Server(uvicorn.Server):
    """Uvicorn, minus re-raising the stop signal after shutdown: a clean stop exits 0."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in _STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)


def serve_api(app: FastAPI, host: str, port: int) -> None:
    """Serve until SIGTERM/SIGINT, logging through the (redacting) root handlers."""
    _Server(uvicorn.Config(app, host=host, port=port, log_config=None)).run()
