"""The one place an ``httpx.AsyncClient`` is built: timeouts, User-Agent, injectable transport."""

from __future__ import annotations

import logging

import httpx
from httpx_aiohttp import AiohttpTransport

from bot import __version__

DEFAULT_USER_AGENT = (
    f"social-monitor-bot/{__version__} (+https://github.com/social-monitor-bot; counters only)"
)
TIMEOUT = httpx.Timeout(connect=5.0, read=15.0, write=10.0, pool=10.0)
LIMITS = httpx.Limits(max_connections=32, max_keepalive_connections=16)


def quiet_http_logs() -> None:
    """httpx and httpcore log every URL at INFO/DEBUG; URLs may carry tokens."""
    # Apprise sends through urllib3 (requests), whose debug lines show webhook paths.
    for name in ("httpx", "httpcore", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)


def make_client(
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    user_agent: str | None = None,
    timeout: httpx.Timeout = TIMEOUT,
) -> httpx.AsyncClient:
    """A client for every platform call; tests pass ``httpx.MockTransport``."""
    quiet_http_logs()
    return httpx.AsyncClient(
        # aiohttp's pool stays fast under concurrency where httpcore's collapses (DESIGN.md).
        transport=transport if transport is not None else AiohttpTransport(limits=LIMITS),
        timeout=timeout,
        headers={"User-Agent": user_agent or DEFAULT_USER_AGENT, "Accept": "application/json"},
        follow_redirects=False,
    )
