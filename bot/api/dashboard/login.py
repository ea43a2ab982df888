"""Who may see the dashboard: the login form, logout, and the guard every other page sits behind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from bot.api.dashboard.render import Pages, headers
from bot.api.dashboard.session import Sessions
from bot.api.guards import Unauthorized

# The form's one field: a token is short; anything longer is not one.
_MAX_TOKEN = 1024


class LoginRequired(Exception):
    """A page asked for without a session (or bearer token): the browser is sent to /login."""


def page_guard(check: Callable[[Request], Awaitable[None]]) -> list[Any]:
    """The dependency list of a page: the API's token check, a redirect to /login instead of 401."""

    async def guard(request: Request) -> None:
        try:
            await check(request)
        except Unauthorized:
            raise LoginRequired() from None

    return [Depends(guard)]


def _see(path: str) -> RedirectResponse:
    """A 303 to ``path`` (a GET after the POST)."""
    return RedirectResponse(path, status_code=303, headers=headers())


def login_routes(app: FastAPI, sessions: Sessions, pages: Pages) -> None:
    """``GET/POST /login`` and ``POST /logout``; a page without a session redirects to /login."""

    @app.exception_handler(LoginRequired)
    async def to_login(_request: Request, _exc: LoginRequired) -> Response:
        return _see("/login")

    @app.get("/login", include_in_schema=False)
    def login_form(request: Request) -> Response:
        """The login form (nothing to log into without BOT_API_TOKEN: the overview)."""
        if not sessions.required or sessions.valid(request):
            return _see("/")
        return pages.page("login", bare=True, failed=False)

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        """A right token starts a session; a wrong one shows the form again, saying only that."""
        if not sessions.required:
            return _see("/")
        form = await request.form()
        given = form.get("token")
        token = given if isinstance(given, str) and len(given) <= _MAX_TOKEN else ""
        if not sessions.token_matches(token):
            return pages.page("login", status=401, bare=True, failed=True)
        answer = _see("/")
        sessions.start(answer, secure=request.url.scheme == "https")
        return answer

    @app.post("/logout", include_in_schema=False)
    def logout() -> Response:
        """Forget the session cookie."""
        answer = _see("/login")
        sessions.end(answer)
        return answer
