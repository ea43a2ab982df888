"""GitHub REST routes: ``/users/{login}`` and ``/user/{id}``, with real shapes and headers."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.clock import Clock
from bot.simulator.counters import created_at, kind_of
from bot.simulator.formats import origin_of
from bot.simulator.limits import PlatformSim, RateWindow, WindowHit

PLATFORM = "github"
RATE_LIMIT = 60  # per hour per IP, unauthenticated
TOKEN_RATE_LIMIT = 5000  # per hour with a token
WINDOW_SECONDS = 3600
NOT_FOUND = {
    "message": "Not Found",
    "documentation_url": "https://docs.github.com/rest/users/users#get-a-user",
    "status": "404",
}
BAD_CREDENTIALS = {
    "message": "Bad credentials",
    "documentation_url": "https://docs.github.com/rest",
    "status": "401",
}
_CREATED_EARLIEST = datetime(2008, 4, 10, tzinfo=UTC)


def github_id(login: str) -> int:
    """A stable numeric account id for ``login`` (case-insensitive)."""
    digest = hashlib.sha256(f"github-id:{login.lower()}".encode()).digest()
    return 1_000_000 + int.from_bytes(digest[:8], "big") % 200_000_000


class GitHubSim(PlatformSim):
    """Simulated api.github.com; suspended accounts answer 404 like missing ones, as on GitHub.

    Requests with a token count against their own 5,000/h window; past a budget GitHub
    answers 403 with ``x-ratelimit-remaining: 0`` and the reset epoch.
    """

    name = PLATFORM
    counter_platforms = (PLATFORM,)
    throttled_status = 403

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock, RateWindow(clock, WINDOW_SECONDS, RATE_LIMIT))
        self.token_window = RateWindow(clock, WINDOW_SECONDS, TOKEN_RATE_LIMIT)
        self.auth_error_body = dict(BAD_CREDENTIALS)
        self.rate_limited_body = {
            "message": "API rate limit exceeded for 127.0.0.1. (But here's the good news: "
            "Authenticated requests get a higher rate limit. Check out the documentation "
            "for more details.)",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        }
        self.logins: dict[str, str] = {}

    def routes(self) -> list[web.RouteDef]:
        """Lookup by login and the stable lookup by numeric id."""
        return [
            web.get("/users/{login}", self.by_login),
            web.get("/user/{id}", self.by_id),
        ]

    def window_for(self, request: web.Request) -> RateWindow:
        """Token requests have their own, larger budget."""
        return self.token_window if request.headers.get("Authorization") else self.window

    def rate_headers(self, hit: WindowHit, *, exhausted: bool = False) -> dict[str, str]:
        """``x-ratelimit-*``; the reset is the window end in epoch seconds."""
        seconds = self.window.seconds
        reset = (int(hit.now.timestamp()) // seconds + 1) * seconds
        used = hit.limit if exhausted else min(hit.used, hit.limit)
        return {
            "x-ratelimit-limit": str(hit.limit),
            "x-ratelimit-remaining": str(hit.limit - used),
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-used": str(used),
            "x-ratelimit-resource": "core",
        }

    def remember(self, handle: str) -> None:
        """Know the id of a login."""
        self.logins.setdefault(str(github_id(handle)), handle)

    def user(self, login: str, origin: str) -> dict[str, Any]:
        """The user object of ``login`` now, remembering its id."""
        user_id = github_id(login)
        self.logins.setdefault(str(user_id), login)
        counts = self.counters(PLATFORM, login, self._clock())
        created = created_at(PLATFORM, login, _CREATED_EARLIEST, 5_000)
        return {
            "login": login,
            "id": user_id,
            "node_id": f"U_sim{user_id}",
            "avatar_url": f"{origin}/avatars/u/{user_id}?v=4",
            "url": f"{origin}/users/{login}",
            "html_url": f"https://github.com/{login}",
            "type": "User",
            "user_view_type": "public",
            "site_admin": False,
            "name": f"{login} (simulated)",
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": counts.posts,
            "public_gists": counts.following // 10,
            "followers": counts.followers,
            "following": counts.following,
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "updated_at": self._clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def answer(self, request: web.Request, login: str | None) -> web.Response:
        """A user, or GitHub's 401 for a refused token and 404 for a gone account."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme and (scheme.lower() not in ("bearer", "token") or token == "bad-token"):
            return web.json_response(BAD_CREDENTIALS, status=401)
        if login is None or kind_of(login) != "ok":
            return web.json_response(NOT_FOUND, status=404)
        return web.json_response(self.user(login, origin_of(request)))

    async def by_login(self, request: web.Request) -> web.Response:
        """``GET /users/{login}`` (users and organisations)."""
        return self.answer(request, request.match_info["login"])

    async def by_id(self, request: web.Request) -> web.Response:
        """``GET /user/{id}``: only ids already served by this process exist."""
        return self.answer(request, self.logins.get(request.match_info["id"]))
