"""Who may ask the API: the bearer token, and the Host header when loopback serves without one.

Without ``BOT_API_TOKEN`` the API only listens on loopback; a web page whose name an attacker
re-points at 127.0.0.1 (DNS rebinding) could still read it through the browser, but the browser
then sends the attacker's name as ``Host``. So a tokenless loopback API answers only requests
addressed to ``localhost``, ``127.0.0.1`` or ``[::1]`` (or the bound address) on its own port.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable

from fastapi import Request

from bot.config import Settings
from bot.http.addresses import is_loopback

_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")


class Unauthorized(Exception):
    """A request without the right token."""


def require_token(
    settings: Settings, session: Callable[[Request], bool] | None = None
) -> Callable[[Request], Awaitable[None]]:
    """A dependency: the bearer token or a dashboard ``session``; without a token all may ask."""
    expected = settings.api_token.reveal().encode("utf-8") if settings.api_token else None

    async def check(request: Request) -> None:
        if expected is None or (session is not None and session(request)):
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        # Starlette decodes header bytes as latin-1: encoding back gives the bytes sent, so a
        # UTF-8 token compares byte for byte. compare_digest: the time taken tells nothing.
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.encode("latin-1", "replace"), expected
        ):
            raise Unauthorized()

    return check


def allowed_hosts(settings: Settings, bound: tuple[str, int] | None) -> tuple[str, ...] | None:
    """The Host values a tokenless loopback API answers, or None when any Host may ask."""
    if bound is None or settings.api_token is not None or not is_loopback(bound[0]):
        return None
    host, port = bound
    names = list(_LOOPBACK_NAMES)
    shown = _bracketed(host.lower())
    if shown not in names:
        names.append(shown)
    with_port = [f"{name}:{port}" for name in names]
    # Browsers leave out the default port.
    return tuple(with_port + (names if port == 80 else []))


def host_refusal(host: str, allowed: tuple[str, ...]) -> str | None:
    """Why ``host`` (the request's Host header) may not ask, or None when it may."""
    if host.lower() in allowed:
        return None
    # The first three are localhost, 127.0.0.1 and [::1] with the port: enough to say.
    listed = f"{allowed[0]}, {allowed[1]} or {allowed[2]}"
    return f"host: {host[:100]!r} is not this server (expected {listed})"


def _bracketed(host: str) -> str:
    """An IPv6 literal as a Host header writes it (``[::1]``); other hosts as they are."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host
    return f"[{address}]" if address.version == 6 else str(address)
