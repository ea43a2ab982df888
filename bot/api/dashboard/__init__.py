"""The web dashboard served by ``bot serve`` at ``/``: read-only pages over the query layer.

Pages are rendered on the server from Jinja templates (autoescaped); the one script and every
style come from this app, so the dashboard works offline. A login form turns BOT_API_TOKEN into
a signed session cookie (session.py); without a token on loopback, the API's rule applies and
every page is open (bot/api/guards.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

from bot.api.dashboard.docs import docs_routes
from bot.api.dashboard.login import login_routes, page_guard
from bot.api.dashboard.pages import Site, page_routes
from bot.api.dashboard.render import Pages
from bot.api.dashboard.reports import report_routes
from bot.api.dashboard.session import Sessions

__all__ = ["Sessions", "mount"]
from bot.api.guards import require_token
from bot.clock import Clock
from bot.config import Settings


def mount(
    app: FastAPI,
    settings: Settings,
    engine: Engine,
    clock: Clock,
    sessions: Sessions,
    api_guard: list[Any],
) -> None:
    """Add the login, the pages, their downloads and the offline API docs to ``app``."""
    pages = Pages(settings, login_required=sessions.required)
    guard = page_guard(require_token(settings, sessions.valid))
    login_routes(app, sessions, pages)
    site = Site(app, settings, engine, clock, pages, guard)
    page_routes(site)
    report_routes(site)
    docs_routes(app, api_guard, guard)
