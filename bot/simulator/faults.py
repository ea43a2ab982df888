"""Fault injection: queued bad answers per path, consumed one request at a time.

Kinds (see ``FAULT_KINDS``): ``429`` (Retry-After in seconds), ``429-date`` (Retry-After as an
HTTP-date from the injected clock), ``429-reset`` (the platform's own over-budget answer: only
its reset headers or body say when), ``503``, ``hang`` and ``slow-drip`` (served by
``bot.simulator.stalls``), ``truncated``, ``malformed``, ``redirect`` (302 to a login page),
``auth-200`` (the platform's auth error body with HTTP 200) and ``auth`` (the same body with the
platform's real status).

Hostile values, per account rather than per path, live in ``bot.simulator.hostile``.
"""

from __future__ import annotations

import math
from collections import deque
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, Literal, get_args

from aiohttp import web

from bot.simulator.limits import DEFAULT_AUTH_ERROR, PlatformSim, WindowHit

FaultKind = Literal[
    "429",
    "429-date",
    "429-reset",
    "503",
    "hang",
    "slow-drip",
    "truncated",
    "malformed",
    "redirect",
    "auth-200",
    "auth",
]
FAULT_KINDS: frozenset[str] = frozenset(get_args(FaultKind))
# Faults that tell the client it is over its budget: their rate headers read "exhausted".
RATE_LIMIT_FAULTS: frozenset[str] = frozenset({"429", "429-date", "429-reset"})
# Faults whose answer takes real time; the app serves them (see bot.simulator.stalls).
STALL_FAULTS: frozenset[str] = frozenset({"hang", "slow-drip"})
RETRY_AFTER_SECONDS = 30
MALFORMED_BODY = b'{"profiles": ['
LOGIN_PATH = "/login"
LOGIN_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Log in</title></head>\n"
    '<body><form method="post" action="/login"><input name="username">'
    '<input name="password" type="password"><button>Log in</button></form></body></html>\n'
)
_TRUNCATED_BODY = b'{"profiles": [{"did": "did:plc:'
_TRUNCATED_MISSING_BYTES = 64
_DEFAULT_RATE_LIMITED: dict[str, Any] = {"error": "Too many requests"}


class FaultPlan:
    """Per-path queues of faults; the next requests to a path take them in order."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[FaultKind]] = {}

    def inject(self, path: str, kind: FaultKind, times: int = 1) -> None:
        """Queue ``times`` faults of ``kind`` for ``path``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if times < 1:
            raise ValueError("times must be at least 1")
        self._queues.setdefault(path, deque()).extend([kind] * times)

    def take(self, path: str) -> FaultKind | None:
        """The fault for this request to ``path``, if one is queued."""
        queue = self._queues.get(path)
        if not queue:
            return None
        kind = queue.popleft()
        if not queue:
            del self._queues[path]
        return kind

    def pending(self, path: str) -> int:
        """How many faults are still queued for ``path``."""
        return len(self._queues.get(path, ()))

    def clear(self) -> None:
        """Drop every queued fault."""
        self._queues.clear()


def http_date(when: datetime) -> str:
    """``when`` as an HTTP-date (IMF-fixdate, GMT), to the second."""
    return format_datetime(when.astimezone(UTC).replace(microsecond=0), usegmt=True)


def http_date_after(now: datetime, seconds: int) -> str:
    """The HTTP-date ``seconds`` after ``now``, rounded up to a whole second (never earlier)."""
    when = now + timedelta(seconds=seconds)
    return http_date(datetime.fromtimestamp(math.ceil(when.timestamp()), UTC))


def _truncated() -> web.Response:
    """Announce more bytes than are sent, then close, so the client sees a cut body."""
    length = len(_TRUNCATED_BODY) + _TRUNCATED_MISSING_BYTES
    response = web.Response(
        body=_TRUNCATED_BODY,
        content_type="application/json",
        headers={"Content-Length": str(length)},
    )
    response.force_close()
    return response


def fault_response(
    kind: FaultKind, platform: PlatformSim | None, hit: WindowHit | None, now: datetime
) -> web.Response:
    """The answer of an immediate fault (not ``hang``/``slow-drip``) on ``platform``'s path."""
    if kind in STALL_FAULTS:
        raise ValueError(f"fault {kind!r} takes real time; the app serves it")
    limited = platform.rate_limited_body if platform is not None else _DEFAULT_RATE_LIMITED
    if kind == "429":
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return web.json_response(limited, status=429, headers=headers)
    if kind == "429-date":
        headers = {"Retry-After": http_date_after(now, RETRY_AFTER_SECONDS)}
        return web.json_response(limited, status=429, headers=headers)
    if kind == "429-reset":
        if platform is None or hit is None:
            return web.json_response(limited, status=429)
        return platform.throttled(hit)
    if kind == "503":
        return web.json_response({"error": "Service Unavailable"}, status=503)
    if kind == "malformed":
        return web.Response(body=MALFORMED_BODY, content_type="application/json")
    if kind == "redirect":
        return web.Response(
            status=302, text=LOGIN_PAGE, content_type="text/html", headers={"Location": LOGIN_PATH}
        )
    if kind in ("auth-200", "auth"):
        body = platform.auth_error_body if platform is not None else DEFAULT_AUTH_ERROR
        real = platform.auth_error_status if platform is not None else 401
        status = 200 if kind == "auth-200" else real
        return web.json_response(body, status=status)
    return _truncated()
