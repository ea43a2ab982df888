"""Bluesky AppView XRPC routes: getProfile and getProfiles, with real shapes and errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.clock import Clock
from bot.simulator.counters import bluesky_did, created_at, kind_of
from bot.simulator.formats import iso_ms, origin_of
from bot.simulator.limits import PlatformSim, RateWindow, WindowHit

PLATFORM = "bluesky"
RATE_LIMIT = 3000  # per 5 minutes per IP (the PDS limit; the AppView gives no number)
WINDOW_SECONDS = 300
BATCH_MAX = 25
_CREATED_EARLIEST = datetime(2023, 2, 1, tzinfo=UTC)


def xrpc_error(error: str, message: str, status: int = 400) -> web.Response:
    """An XRPC error body."""
    return web.json_response({"error": error, "message": message}, status=status)


class BlueskySim(PlatformSim):
    """Simulated public AppView; every served handle is remembered by its DID.

    Public reads take no token, so its auth error is the simulator's generic one.
    """

    name = PLATFORM
    counter_platforms = (PLATFORM,)

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock, RateWindow(clock, WINDOW_SECONDS, RATE_LIMIT))
        self.rate_limited_body = {
            "error": "RateLimitExceeded",
            "message": "Rate Limit Exceeded",
        }
        self.handles: dict[str, str] = {}

    def routes(self) -> list[web.RouteDef]:
        """The two actor read routes."""
        return [
            web.get("/xrpc/app.bsky.actor.getProfile", self.get_profile),
            web.get("/xrpc/app.bsky.actor.getProfiles", self.get_profiles),
        ]

    def rate_headers(self, hit: WindowHit, *, exhausted: bool = False) -> dict[str, str]:
        """IETF draft ``ratelimit-*`` headers; the reset is the window end in epoch seconds."""
        seconds = self.window.seconds
        reset = (int(hit.now.timestamp()) // seconds + 1) * seconds
        remaining = 0 if exhausted else max(0, hit.limit - hit.used)
        return {
            "ratelimit-limit": str(hit.limit),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(reset),
            "ratelimit-policy": f"{hit.limit};w={seconds}",
        }

    def remember(self, handle: str) -> None:
        """Know the DID of ``handle``."""
        handle = handle.strip().lstrip("@").lower()
        self.handles.setdefault(bluesky_did(handle), handle)

    def resolve(self, actor: str) -> str | None:
        """The handle an actor (handle or DID) names, or None for an unknown DID."""
        actor = actor.strip().lstrip("@").lower()
        if actor.startswith("did:"):
            return self.handles.get(actor)
        return actor or None

    def profile(self, handle: str, origin: str) -> dict[str, Any]:
        """The profileViewDetailed of ``handle`` now, remembering its DID."""
        did = bluesky_did(handle)
        self.handles[did] = handle
        counts = self.counters(PLATFORM, handle, self._clock())
        created = iso_ms(created_at(PLATFORM, handle, _CREATED_EARLIEST, 700))
        return {
            "did": did,
            "handle": handle,
            "displayName": f"{handle.split('.', 1)[0]} (simulated)",
            "avatar": f"{origin}/img/avatar/plain/{did}/simulated@jpeg",
            "associated": {"lists": 0, "feedgens": 0, "starterPacks": 0, "labeler": False},
            "labels": [],
            "createdAt": created,
            "description": f"Simulated account {handle}.",
            "indexedAt": created,
            "followersCount": counts.followers,
            "followsCount": counts.following,
            "postsCount": counts.posts,
        }

    async def get_profile(self, request: web.Request) -> web.Response:
        """``GET /xrpc/app.bsky.actor.getProfile?actor=X``."""
        actor = request.query.get("actor", "")
        if not actor:
            return xrpc_error("InvalidRequest", 'Error: Params must have the property "actor"')
        handle = self.resolve(actor)
        if handle is None or kind_of(handle) == "missing":
            return xrpc_error("InvalidRequest", "Profile not found")
        if kind_of(handle) == "suspended":
            return xrpc_error("AccountTakedown", "Account has been suspended")
        return web.json_response(self.profile(handle, origin_of(request)))

    async def get_profiles(self, request: web.Request) -> web.Response:
        """``GET /xrpc/app.bsky.actor.getProfiles?actors=a&actors=b``; absent actors left out."""
        actors = request.query.getall("actors", [])
        if not actors:
            return xrpc_error("InvalidRequest", 'Error: Params must have the property "actors"')
        if len(actors) > BATCH_MAX:
            message = f"Error: params/actors must NOT have more than {BATCH_MAX} items"
            return xrpc_error("InvalidRequest", message)
        origin = origin_of(request)
        profiles: list[dict[str, Any]] = []
        seen: set[str] = set()
        for actor in actors:
            handle = self.resolve(actor)
            if handle is None or handle in seen or kind_of(handle) != "ok":
                continue
            seen.add(handle)
            profiles.append(self.profile(handle, origin))
        return web.json_response({"profiles": profiles})
