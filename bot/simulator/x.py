"""X API v2 users lookup routes: by usernames and by ids, with partial ``errors[]`` answers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.clock import Clock
from bot.simulator.counters import kind_of
from bot.simulator.limits import PlatformSim, RateWindow, WindowHit

PLATFORM = "x"
RATE_LIMIT = 300  # users lookup, per app per 15 minutes
WINDOW_SECONDS = 900
BATCH_MAX = 100
_NOT_FOUND_TYPE = "https://api.twitter.com/2/problems/resource-not-found"
_PROBLEM = "application/problem+json"
UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}


def x_user_id(handle: str) -> str:
    """A stable 19-digit user id for ``handle`` (case-insensitive)."""
    value = int.from_bytes(hashlib.sha256(f"x-id:{handle.lower()}".encode()).digest()[:8], "big")
    return str(10**18 + value % (9 * 10**18))


def _lookup_error(parameter: str, value: str, suspended: bool) -> dict[str, Any]:
    """One ``errors[]`` entry for an unknown or suspended user (the real wording)."""
    if suspended:
        title, detail = "Forbidden", f"User has been suspended: [{value}]."
    else:
        title, detail = "Not Found Error", f"Could not find user with {parameter}: [{value}]."
    return {
        "value": value,
        "detail": detail,
        "title": title,
        "resource_type": "user",
        "parameter": parameter,
        "resource_id": value,
        "type": _NOT_FOUND_TYPE,
    }


class XSim(PlatformSim):
    """Simulated api.x.com users lookup; every served handle is remembered by its id."""

    name = PLATFORM
    counter_platforms = (PLATFORM,)

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock, RateWindow(clock, WINDOW_SECONDS, RATE_LIMIT))
        self.auth_error_body = dict(UNAUTHORIZED)
        self.rate_limited_body = {
            "title": "Too Many Requests",
            "detail": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
        }
        self.handles: dict[str, str] = {}

    def routes(self) -> list[web.RouteDef]:
        """The two batch lookup routes."""
        return [
            web.get("/2/users/by", self.by_usernames),
            web.get("/2/users", self.by_ids),
        ]

    def rate_headers(self, hit: WindowHit, *, exhausted: bool = False) -> dict[str, str]:
        """``x-rate-limit-*``; the reset is the window end in epoch seconds."""
        seconds = self.window.seconds
        reset = (int(hit.now.timestamp()) // seconds + 1) * seconds
        remaining = 0 if exhausted else max(0, hit.limit - hit.used)
        return {
            "x-rate-limit-limit": str(hit.limit),
            "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(reset),
        }

    def remember(self, handle: str) -> None:
        """Know the id of ``handle``."""
        self.handles.setdefault(x_user_id(handle), handle)

    def user(self, handle: str, fields: list[str]) -> dict[str, Any]:
        """The user object of ``handle`` now; counters only when ``public_metrics`` is asked."""
        user_id = x_user_id(handle)
        self.handles.setdefault(user_id, handle)
        body: dict[str, Any] = {"id": user_id, "name": f"{handle} (simulated)", "username": handle}
        if "public_metrics" in fields:
            counts = self.counters(PLATFORM, handle, self._clock())
            body["public_metrics"] = {
                "followers_count": counts.followers,
                "following_count": counts.following,
                "tweet_count": counts.posts,
                "listed_count": counts.followers // 250,
            }
        return body

    async def by_usernames(self, request: web.Request) -> web.Response:
        """``GET /2/users/by?usernames=a,b&user.fields=public_metrics``."""
        return self._answer(request, "usernames", lambda name: name)

    async def by_ids(self, request: web.Request) -> web.Response:
        """``GET /2/users?ids=1,2``: only ids this process has served exist."""
        return self._answer(request, "ids", self.handles.get)

    def _answer(
        self, request: web.Request, parameter: str, resolve: Callable[[str], str | None]
    ) -> web.Response:
        """Shared body: ``data`` for the hits, ``errors`` for the misses, HTTP 200 either way."""
        if request.headers.get("Authorization", "") in ("", "Bearer bad-token"):
            return web.json_response(UNAUTHORIZED, status=401, content_type=_PROBLEM)
        values = [v for v in request.query.get(parameter, "").split(",") if v]
        if not values or len(values) > BATCH_MAX:
            return web.json_response(self._invalid(parameter, len(values)), status=400)
        fields = request.query.get("user.fields", "").split(",")
        data: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for value in values:
            handle = resolve(value)
            kind = kind_of(handle) if handle else "missing"
            if handle is None or kind != "ok":
                errors.append(_lookup_error(parameter, value, kind == "suspended"))
            else:
                data.append(self.user(handle, fields))
        body: dict[str, Any] = {"data": data} if data else {}
        if errors:
            body["errors"] = errors
        return web.json_response(body)

    @staticmethod
    def _invalid(parameter: str, size: int) -> dict[str, Any]:
        """The 400 invalid-request problem for an empty or oversized list."""
        return {
            "errors": [
                {
                    "parameters": {parameter: [str(size)]},
                    "message": f"The number of values in the `{parameter}` query parameter "
                    f"list [{size}] is not between 1 and {BATCH_MAX}",
                }
            ],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        }
