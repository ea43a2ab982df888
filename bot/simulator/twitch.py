"""Twitch Helix routes: ``/helix/users`` and ``/helix/channels/followers``, with real shapes.

Counters come from the counters source as ``("twitch", login, now)``; only ``followers`` is
served (as the follower ``total``), since Helix has no following or post counter for a channel.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.clock import Clock
from bot.simulator.counters import created_at, kind_of
from bot.simulator.limits import PlatformSim, RateWindow, WindowHit

PLATFORM = "twitch"
RATE_LIMIT = 800  # points per minute per client id; every read costs 1
WINDOW_SECONDS = 60
USERS_MAX = 100
_CREATED_EARLIEST = datetime(2011, 6, 6, tzinfo=UTC)


def helix_error(status: int, error: str, message: str) -> web.Response:
    """Twitch's ``{error, status, message}`` error body."""
    return web.json_response({"error": error, "status": status, "message": message}, status=status)


def twitch_id(login: str) -> str:
    """A stable numeric user id for ``login``."""
    digest = hashlib.sha256(f"twitch-id:{login.lower()}".encode()).digest()
    return str(10_000_000 + int.from_bytes(digest[:8], "big") % 990_000_000)


class TwitchSim(PlatformSim):
    """Simulated api.twitch.tv Helix; missing and suspended users are absent from ``data``."""

    name = PLATFORM
    counter_platforms = (PLATFORM,)

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock, RateWindow(clock, WINDOW_SECONDS, RATE_LIMIT))
        self.auth_error_body = {
            "error": "Unauthorized",
            "status": 401,
            "message": "Invalid OAuth token",
        }
        self.rate_limited_body = {
            "error": "Too Many Requests",
            "status": 429,
            "message": "Request limit exceeded",
        }
        self.logins: dict[str, str] = {}

    def routes(self) -> list[web.RouteDef]:
        """The users lookup and the follower total."""
        return [
            web.get("/helix/users", self.users),
            web.get("/helix/channels/followers", self.followers),
        ]

    def rate_headers(self, hit: WindowHit, *, exhausted: bool = False) -> dict[str, str]:
        """``Ratelimit-*`` headers; the reset is an epoch second."""
        seconds = self.window.seconds
        reset = (int(hit.now.timestamp()) // seconds + 1) * seconds
        remaining = 0 if exhausted else max(0, hit.limit - hit.used)
        return {
            "Ratelimit-Limit": str(hit.limit),
            "Ratelimit-Remaining": str(remaining),
            "Ratelimit-Reset": str(reset),
        }

    def refused(self, request: web.Request) -> web.Response | None:
        """Helix's 401 when the Client-Id or the bearer token is missing or bad."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return helix_error(401, "Unauthorized", "OAuth token is missing")
        if token == "bad-token":
            return helix_error(401, "Unauthorized", "Invalid OAuth token")
        if not request.headers.get("Client-Id"):
            return helix_error(401, "Unauthorized", "Client ID and OAuth token do not match")
        return None

    def remember(self, handle: str) -> None:
        """Know the id of a login."""
        self.logins.setdefault(twitch_id(handle.lower()), handle.lower())

    def user(self, login: str) -> dict[str, Any]:
        """The Helix user object of ``login``, remembering its id."""
        user_id = twitch_id(login)
        self.logins.setdefault(user_id, login)
        created = created_at(PLATFORM, login, _CREATED_EARLIEST, 4_000)
        return {
            "id": user_id,
            "login": login,
            "display_name": login.capitalize(),
            "type": "",
            "broadcaster_type": "affiliate",
            "description": f"Simulated channel {login}.",
            "profile_image_url": "",
            "offline_image_url": "",
            "view_count": 0,
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    async def users(self, request: web.Request) -> web.Response:
        """``GET /helix/users?login=a&id=1``; unknown, missing and suspended users are left out."""
        refused = self.refused(request)
        if refused is not None:
            return refused
        logins = [x.lower() for x in request.query.getall("login", [])]
        ids = request.query.getall("id", [])
        if not logins and not ids:
            return helix_error(400, "Bad Request", "Must provide an ID, Login or OAuth Token")
        if len(logins) + len(ids) > USERS_MAX:
            return helix_error(400, "Bad Request", "The sum of id and login must not exceed 100")
        wanted = logins + [self.logins[i] for i in ids if i in self.logins]
        data = [self.user(login) for login in dict.fromkeys(wanted) if kind_of(login) == "ok"]
        return web.json_response({"data": data})

    async def followers(self, request: web.Request) -> web.Response:
        """``GET /helix/channels/followers?broadcaster_id=``: the total, no list for app tokens."""
        refused = self.refused(request)
        if refused is not None:
            return refused
        login = self.logins.get(request.query.get("broadcaster_id", ""))
        if login is None:
            return helix_error(400, "Bad Request", "Invalid broadcaster_id")
        total = self.counters(PLATFORM, login, self._clock()).followers
        return web.json_response({"total": total, "data": [], "pagination": {}})
