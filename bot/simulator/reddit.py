"""Reddit routes: the client-credentials token, subreddit and user about pages, ``/api/info``.

Counters come from the counters source as ``("reddit", "r/<name>" or "u/<name>", now)``:
subscribers are the followers; a user's link karma is its ``posts`` and comment karma its
``following``.
Subreddits named ``private*`` answer Reddit's private 403; ``missing*`` ones redirect to the
subreddit search and ``suspended*`` ones are banned (404). The token and API share one origin.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import UTC, datetime
from itertools import count
from typing import Any

from aiohttp import web

from bot.clock import Clock
from bot.simulator.counters import created_at, kind_of
from bot.simulator.limits import PlatformSim, RateWindow, WindowHit

PLATFORM = "reddit"
# 100 queries/min averaged over 10 minutes: the headers count 1000 per 600 s window.
RATE_LIMIT = 1000
WINDOW_SECONDS = 600
INFO_MAX = 100
TOKEN_PATH = "/api/v1/access_token"
UNAUTHORIZED = {"message": "Unauthorized", "error": 401}
NOT_FOUND = {"message": "Not Found", "error": 404}
_CREATED_EARLIEST = datetime(2008, 1, 25, tzinfo=UTC)


def base36_id(kind: str, name: str) -> str:
    """A stable base-36 thing id for ``name`` (case-insensitive)."""
    value = int.from_bytes(hashlib.sha256(f"{kind}:{name.lower()}".encode()).digest()[:6], "big")
    digits = ""
    while value:
        value, rest = divmod(value, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[rest] + digits
    return digits or "0"


class RedditSim(PlatformSim):
    """Simulated oauth.reddit.com and its token endpoint; issued tokens live until revoked."""

    name = PLATFORM
    counter_platforms = (PLATFORM,)

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock, RateWindow(clock, WINDOW_SECONDS, RATE_LIMIT))
        # The token endpoint lives on www.reddit.com: its requests do not spend the API budget.
        self.token_window = RateWindow(clock, WINDOW_SECONDS, RATE_LIMIT)
        self.rate_limited_body = {"message": "Too Many Requests", "error": 429}
        self.auth_error_body = dict(UNAUTHORIZED)
        self.tokens: set[str] = set()
        self._serial = count(1)
        self.subreddits: dict[str, str] = {}

    def routes(self) -> list[web.RouteDef]:
        """Token, batch info and the two about pages."""
        return [
            web.post(TOKEN_PATH, self.access_token),
            web.get("/api/info", self.info),
            web.get("/r/{name}/about", self.subreddit_about),
            web.get("/user/{name}/about", self.user_about),
        ]

    def window_for(self, request: web.Request) -> RateWindow:
        """The token endpoint has a budget of its own."""
        return self.token_window if request.path == TOKEN_PATH else self.window

    def rate_headers(self, hit: WindowHit, *, exhausted: bool = False) -> dict[str, str]:
        """``x-ratelimit-*``: remaining is a float, reset is seconds until the window ends."""
        seconds = self.window.seconds
        used = hit.limit if exhausted else min(hit.used, hit.limit)
        return {
            "x-ratelimit-used": str(used),
            "x-ratelimit-remaining": f"{hit.limit - used:.1f}",
            "x-ratelimit-reset": str(seconds - int(hit.now.timestamp()) % seconds),
        }

    def revoke_tokens(self) -> None:
        """Forget every issued token, as an expiry on Reddit's side would."""
        self.tokens.clear()

    async def access_token(self, request: web.Request) -> web.Response:
        """``POST /api/v1/access_token`` with Basic client_id:secret, client-credentials grant."""
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            client_id = secret = ""
        if scheme.lower() != "basic" or not client_id or not secret or secret == "bad-token":
            return web.json_response(UNAUTHORIZED, status=401)
        form = await request.post()
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"})
        token = f"sim-reddit-{next(self._serial)}"
        self.tokens.add(token)
        return web.json_response(
            {"access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*"}
        )

    def authorised(self, request: web.Request) -> bool:
        """A bearer token this simulator issued and has not revoked."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and token in self.tokens

    def remember(self, handle: str) -> None:
        """Know the fullname of ``r/name`` (users are looked up by name only)."""
        kind, _, name = handle.partition("/")
        if kind == "r" and name:
            self.subreddits.setdefault(f"t5_{base36_id('t5', name)}", name)

    def subreddit(self, name: str) -> dict[str, Any]:
        """The t5 thing of ``name`` now, remembering its fullname."""
        sub_id = base36_id("t5", name)
        self.subreddits.setdefault(f"t5_{sub_id}", name)
        name = self.subreddits[f"t5_{sub_id}"]
        counts = self.counters(PLATFORM, f"r/{name}", self._clock())
        created = created_at(PLATFORM, f"r/{name}", _CREATED_EARLIEST, 5_000).timestamp()
        return {
            "kind": "t5",
            "data": {
                "display_name": name,
                "display_name_prefixed": f"r/{name}",
                "title": f"{name} (simulated)",
                "name": f"t5_{sub_id}",
                "id": sub_id,
                "subscribers": counts.followers,
                "active_user_count": counts.following,
                "accounts_active": counts.following,
                "subreddit_type": "public",
                "quarantine": False,
                "over18": False,
                "url": f"/r/{name}/",
                "created_utc": created,
            },
        }

    async def subreddit_about(self, request: web.Request) -> web.Response:
        """``GET /r/{name}/about``."""
        if not self.authorised(request):
            return web.json_response(UNAUTHORIZED, status=401)
        name = request.match_info["name"]
        if name.lower().startswith("private"):
            body = {"reason": "private", "message": "Forbidden", "error": 403}
            return web.json_response(body, status=403)
        if kind_of(name) == "missing":
            location = f"/subreddits/search.json?q={name}&source=recent"
            return web.Response(status=302, headers={"Location": location})
        if kind_of(name) == "suspended":
            return web.json_response({"reason": "banned", **NOT_FOUND}, status=404)
        return web.json_response(self.subreddit(name))

    async def info(self, request: web.Request) -> web.Response:
        """``GET /api/info?id=t5_a,t5_b``: a Listing; unknown and banned ones are left out."""
        if not self.authorised(request):
            return web.json_response(UNAUTHORIZED, status=401)
        fullnames = [f for f in request.query.get("id", "").split(",") if f][:INFO_MAX]
        children = [
            self.subreddit(self.subreddits[f])
            for f in dict.fromkeys(fullnames)
            if f in self.subreddits and kind_of(self.subreddits[f]) == "ok"
        ]
        listing = {"dist": len(children), "children": children, "after": None, "before": None}
        return web.json_response({"kind": "Listing", "data": {"modhash": "", **listing}})

    async def user_about(self, request: web.Request) -> web.Response:
        """``GET /user/{name}/about``: suspended users keep only their name and the flag."""
        if not self.authorised(request):
            return web.json_response(UNAUTHORIZED, status=401)
        name = request.match_info["name"]
        if kind_of(name) == "missing":
            return web.json_response(NOT_FOUND, status=404)
        if kind_of(name) == "suspended":
            return web.json_response({"kind": "t2", "data": {"name": name, "is_suspended": True}})
        counts = self.counters(PLATFORM, f"u/{name}", self._clock())
        profile = {
            "display_name": f"u_{name}",
            "display_name_prefixed": f"u/{name}",
            "title": f"{name} (simulated)",
            "name": f"t5_{base36_id('u_t5', name)}",
            "subscribers": counts.followers,
            "subreddit_type": "user",
            "url": f"/user/{name}/",
        }
        data = {
            "name": name,
            "id": base36_id("t2", name),
            "subreddit": profile,
            "link_karma": counts.posts,
            "comment_karma": counts.following,
            "total_karma": counts.posts + counts.following,
            "is_employee": False,
            "verified": True,
            "created_utc": created_at(PLATFORM, f"u/{name}", _CREATED_EARLIEST, 5_000).timestamp(),
        }
        return web.json_response({"kind": "t2", "data": data})
