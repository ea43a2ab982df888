"""Mastodon REST routes: account lookup, account by id and the 4.3 batch, with real shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.clock import Clock
from bot.simulator.counters import created_at, kind_of, mastodon_id
from bot.simulator.formats import iso_ms, origin_of
from bot.simulator.limits import PlatformSim, RateWindow, WindowHit

PLATFORM = "mastodon"
RATE_LIMIT = 300  # per 5 minutes per account and per IP
WINDOW_SECONDS = 300
BATCH_MAX = 40
NOT_FOUND = {"error": "Record not found"}
_CREATED_EARLIEST = datetime(2016, 3, 16, tzinfo=UTC)


class MastodonSim(PlatformSim):
    """Simulated Mastodon instance; every served username is remembered by its id."""

    name = PLATFORM
    counter_platforms = (PLATFORM,)

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock, RateWindow(clock, WINDOW_SECONDS, RATE_LIMIT))
        self.rate_limited_body = {"error": "Too many requests"}
        self.auth_error_body = {"error": "The access token is invalid"}
        self.usernames: dict[str, str] = {}

    def routes(self) -> list[web.RouteDef]:
        """Lookup first: ``/accounts/lookup`` must not be taken for an id."""
        return [
            web.get("/api/v1/accounts/lookup", self.lookup),
            web.get("/api/v1/accounts", self.batch),
            web.get("/api/v1/accounts/{id}", self.by_id),
        ]

    def rate_headers(self, hit: WindowHit, *, exhausted: bool = False) -> dict[str, str]:
        """Rack-attack style headers; the reset keeps the request's sub-second part."""
        seconds = self.window.seconds
        reset = hit.now + timedelta(seconds=seconds - int(hit.now.timestamp()) % seconds)
        remaining = 0 if exhausted else max(0, hit.limit - hit.used)
        return {
            "X-RateLimit-Limit": str(hit.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": reset.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }

    def remember(self, handle: str) -> None:
        """Know the id of ``user@instance`` (or a bare username)."""
        username = handle.lstrip("@").split("@", 1)[0]
        self.usernames.setdefault(mastodon_id(username), username)

    def account(self, username: str, origin: str) -> dict[str, Any]:
        """The Account entity of ``username`` now; suspended ones have empty profile and zeros."""
        account_id = mastodon_id(username)
        self.usernames.setdefault(account_id, username)
        username = self.usernames[account_id]
        suspended = kind_of(username) == "suspended"
        now = self._clock()
        counts = self.counters(PLATFORM, username, now)
        created = created_at(PLATFORM, username, _CREATED_EARLIEST, 1_386)
        body: dict[str, Any] = {
            "id": account_id,
            "username": username,
            "acct": username,
            "display_name": "" if suspended else f"{username} (simulated)",
            "locked": False,
            "bot": False,
            "discoverable": not suspended,
            "group": False,
            "created_at": iso_ms(created.replace(hour=0, minute=0, second=0, microsecond=0)),
            "note": "" if suspended else f"<p>Simulated account {username}.</p>",
            "url": f"{origin}/@{username}",
            "uri": f"{origin}/users/{username}",
            "avatar": f"{origin}/avatars/original/missing.png",
            "avatar_static": f"{origin}/avatars/original/missing.png",
            "header": f"{origin}/headers/original/missing.png",
            "header_static": f"{origin}/headers/original/missing.png",
            "followers_count": 0 if suspended else counts.followers,
            "following_count": 0 if suspended else counts.following,
            "statuses_count": 0 if suspended else counts.posts,
            "last_status_at": None if suspended else now.astimezone(UTC).strftime("%Y-%m-%d"),
            "emojis": [],
            "fields": [],
        }
        if suspended:
            body["suspended"] = True
        return body

    async def lookup(self, request: web.Request) -> web.Response:
        """``GET /api/v1/accounts/lookup?acct=user[@domain]``."""
        acct = request.query.get("acct", "").strip().lstrip("@")
        if not acct:
            return web.json_response({"error": "acct is required"}, status=400)
        username = acct.partition("@")[0]
        if not username or kind_of(username) == "missing":
            return web.json_response(NOT_FOUND, status=404)
        return web.json_response(self.account(username, origin_of(request)))

    async def by_id(self, request: web.Request) -> web.Response:
        """``GET /api/v1/accounts/{id}``: only ids already served by this process exist."""
        username = self.usernames.get(request.match_info["id"])
        if username is None:
            return web.json_response(NOT_FOUND, status=404)
        return web.json_response(self.account(username, origin_of(request)))

    async def batch(self, request: web.Request) -> web.Response:
        """``GET /api/v1/accounts?id[]=...``: unknown and suspended accounts are left out."""
        ids = request.query.getall("id[]", [])
        if len(ids) > BATCH_MAX:
            message = f"Validation failed: too many accounts requested (maximum {BATCH_MAX})"
            return web.json_response({"error": message}, status=422)
        origin = origin_of(request)
        accounts: list[dict[str, Any]] = []
        seen: set[str] = set()
        for account_id in ids:
            username = self.usernames.get(account_id)
            if username is None or account_id in seen or kind_of(username) != "ok":
                continue
            seen.add(account_id)
            accounts.append(self.account(username, origin))
        return web.json_response(accounts)
