"""The read-only HTTP API (`bot serve`): the query commands' JSON over HTTP, behind a token.

Every route answers what the matching command prints with ``--format json``, with the same
field names, and reads its parameters through the CLI's parser (bot/query/words.py). A mistake
in a query, FastAPI's own validation included, is a 400 ``{"error": "date: ...", "field":
"date"}``; an unknown account is a 404, a missing token a 401, a Host that is not this server
a 400 (loopback without a token, see bot/api/guards.py), all in the same shape.
"""

from __future__ import annotations

import contextlib
import json
import signal
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any

import uvicorn
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException

from bot.api.guards import Unauthorized, allowed_hosts, host_refusal, require_token
from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.daemon import status as health
from bot.errors import UnknownAccountError, UserError
from bot.output.text import API, account_key, plain
from bot.query import rows as views
from bot.query import words
from bot.store.db import ping

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# ``?all=true``: accounts removed from the config too, like the commands' ``--all``.
AllQuery = Annotated[bool, Query(alias="all")]


def create_app(
    settings: Settings,
    engine: Engine,
    *,
    clock: Clock = system_clock,
    bound: tuple[str, int] | None = None,
) -> FastAPI:
    """The API over one database; requests need ``Authorization: Bearer <BOT_API_TOKEN>``.

    ``bound`` is the address ``bot serve`` listens on: on loopback without a token, only
    requests naming this server in their Host header are answered.
    """
    from bot.api import dashboard

    # /docs and /openapi.json are the dashboard's: behind the token, Swagger UI served offline.
    app = FastAPI(
        title="social-monitor-bot",
        summary="Read-only access to the stored snapshots, growth, reports and digests.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    sessions = dashboard.Sessions(settings, clock)
    # The dashboard's session cookie opens the JSON routes too (Swagger UI's "Try it out").
    guard = [Depends(require_token(settings, sessions.valid))]

    _error_handlers(app)
    _host_check(app, allowed_hosts(settings, bound))

    @app.get("/healthz")
    def healthz() -> Response:
        """Liveness and database reachability; no token needed."""
        try:
            ping(engine)
        except (SQLAlchemyError, OSError) as exc:
            # The driver's words name the server and maybe the user: the class name only.
            cause = type(getattr(exc, "orig", None) or exc).__name__
            body = {"status": "unavailable", "error": f"database unreachable ({cause})"}
            return _json(body, status=503)
        return _json({"status": "ok"})

    _history_routes(app, settings, engine, clock, guard)
    _document_routes(app, settings, engine, clock, guard)
    dashboard.mount(app, settings, engine, clock, sessions, guard)
    return app


def _error_handlers(app: FastAPI) -> None:
    """Every mistake answers ``{"error": ..., "field": ...}`` (``field`` null if none is named)."""

    @app.exception_handler(UserError)
    async def user_error(_request: Request, exc: UserError) -> JSONResponse:
        status = 404 if isinstance(exc, UnknownAccountError) else 400
        return _error(str(exc), getattr(exc, "field", None), status)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own checks (an int that is not one, ...): a 400 like ours, not its 422.
        first = exc.errors()[0]
        location = first.get("loc") or ()
        field = str(location[-1]) if location else None
        problem = str(first.get("msg") or "invalid value")
        given = first.get("input")
        shown = f", got {given!r}" if isinstance(given, str) else ""
        message = f"{problem[:1].lower()}{problem[1:]}{shown}"
        return _error(f"{field}: {message}" if field else message, field, 400)

    @app.exception_handler(Unauthorized)
    async def unauthorized(_request: Request, _exc: Unauthorized) -> JSONResponse:
        return _error(
            "missing or wrong bearer token (BOT_API_TOKEN)",
            None,
            401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        # Starlette's own answers (no such route, wrong method) in our shape too.
        detail = str(exc.detail)
        headers = dict(exc.headers) if exc.headers else None
        return _error(detail[:1].lower() + detail[1:], None, exc.status_code, headers=headers)

    @app.exception_handler(OverflowError)
    @app.exception_handler(ValueError)
    async def out_of_range(_request: Request, exc: Exception) -> JSONResponse:
        # A value the query layer let through but the maths cannot hold (a date past 9999):
        # the caller's mistake, not a 500.
        what = "a value is out of range" if isinstance(exc, OverflowError) else "invalid value"
        return _error(f"{what} ({str(exc)[:200]})", None, 400)

    @app.exception_handler(Exception)
    async def internal(_request: Request, _exc: Exception) -> JSONResponse:
        # Starlette re-raises after this answer, so the server still logs the traceback.
        return _error("internal error", None, 500)


def _host_check(app: FastAPI, allowed: tuple[str, ...] | None) -> None:
    """Answer 400 to any request whose Host is not one of ``allowed`` (None: no check)."""
    if allowed is None:
        return

    @app.middleware("http")
    async def check_host(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        problem = host_refusal(request.headers.get("host", ""), allowed)
        if problem is not None:
            return _error(problem, "host", 400)
        return await call_next(request)


def _error(
    message: str, field: str | None, status: int, *, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The one error shape of the API."""
    return JSONResponse({"error": message, "field": field}, status_code=status, headers=headers)


def _history_routes(
    app: FastAPI, settings: Settings, engine: Engine, clock: Clock, guard: list[Any]
) -> None:
    """Accounts, snapshots and growth: the tables of the query commands."""

    @app.get("/accounts", dependencies=guard)
    def accounts(group: str | None = None, all_: AllQuery = False) -> Response:
        """Like ``bot accounts -f json``; ``all=true`` like ``--all``."""
        return _json(views.account_rows(engine, group, removed=all_))

    # ``:path``: Reddit handles (``r/name``) hold a slash.
    @app.get("/accounts/{platform}/{handle:path}/snapshots", dependencies=guard)
    def snapshots(
        platform: str,
        handle: str,
        since: str | None = None,
        until: str | None = None,
        every: str = "raw",
    ) -> Response:
        """Like ``bot snapshots PLATFORM:HANDLE -f json``."""
        first, last = words.since_until(since, until, settings.timezone, API)
        kind = words.every(every, API)
        key = account_key(platform, handle)
        return _json(
            views.snapshot_rows(engine, settings, key, since=first, until=last, every=kind)
        )

    @app.get("/growth", dependencies=guard)
    def growth(
        period: str = "7d", at: str | None = None, group: str | None = None, all_: AllQuery = False
    ) -> Response:
        """Like ``bot growth -f json``; ``all=true`` like ``--all``."""
        name = words.growth_period(period, API)
        moment = words.at(at, settings.timezone, clock(), API)
        lines = views.growth_rows(
            engine, settings, period=name, at=moment, group=group, removed=all_
        )
        return _json(views.growth_json(lines))


def _document_routes(
    app: FastAPI, settings: Settings, engine: Engine, clock: Clock, guard: list[Any]
) -> None:
    """The report, the digest and the daemon's status: whole JSON documents."""

    @app.get("/report", dependencies=guard)
    def report(
        year: int | None = None,
        from_: Annotated[str | None, Query(alias="from")] = None,
        to: str | None = None,
        all_: AllQuery = False,
    ) -> Response:
        """Like ``bot report -f json``: ``?year=2021`` or ``?from=D&to=D``; ``all=true``."""
        from bot.query import report as reports

        period = words.report_period(year, from_, to, settings, API, now=clock())
        entries = views.report_entries(
            engine, first=period.first, last=period.last, tz=settings.timezone, removed=all_
        )
        return _json(reports.document(period, entries, settings))

    @app.get("/digest", dependencies=guard)
    def digest(date: str | None = None, period: str = "day") -> Response:
        """Like ``bot digest -f json``: ``?date=`` and ``?period=`` as its options."""
        from bot.digest import build_digest
        from bot.digest.render_json import render_json

        kind = words.digest_period(period, API)
        now = clock()
        day = words.digest_day(date, kind, settings.timezone, now, API)
        built = build_digest(engine, settings, day, now=now, period=kind)
        return Response(render_json(built), media_type="application/json")

    @app.get("/status", dependencies=guard)
    def status() -> Response:
        """Like ``bot status -f json``."""
        return _json(health.status(engine, settings, clock()))


def _json(payload: Any, *, status: int = 200) -> Response:
    """The CLI's JSON (UTC instants with Z, nulls kept) as a response."""
    body = json.dumps(plain(payload), ensure_ascii=False)
    return Response(body, status_code=status, media_type="application/json")


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
