"""Small formatting helpers shared by the simulated platforms."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web


def iso_ms(when: datetime) -> str:
    """ISO-8601 UTC with milliseconds and a literal Z, as Mastodon and atproto write them."""
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def origin_of(request: web.Request) -> str:
    """``scheme://host[:port]`` the client used, for profile URLs."""
    return f"{request.scheme}://{request.host}"
