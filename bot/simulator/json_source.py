"""A generic JSON statistics server: ``GET /json/{name}`` answers a nested counters document."""

from __future__ import annotations

from aiohttp import web

from bot.clock import Clock
from bot.simulator.counters import kind_of
from bot.simulator.limits import PlatformSim, RateWindow, WindowHit

PLATFORM = "json"
RATE_LIMIT = 60
WINDOW_SECONDS = 60
NOT_FOUND = {"error": "not found"}
GONE = {"error": "gone"}


class JsonSourceSim(PlatformSim):
    """Simulated stats server; ``missing*`` names answer 404, ``suspended*`` names 410 Gone."""

    name = PLATFORM
    counter_platforms = (PLATFORM,)

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock, RateWindow(clock, WINDOW_SECONDS, RATE_LIMIT))
        self.rate_limited_body = {"error": "too many requests"}

    def routes(self) -> list[web.RouteDef]:
        """One document per name."""
        return [web.get("/json/{name}", self.document)]

    def rate_headers(self, hit: WindowHit, *, exhausted: bool = False) -> dict[str, str]:
        """IETF draft ``RateLimit-*`` headers, the reset as seconds until the window ends."""
        seconds = self.window.seconds
        reset = seconds - int(hit.now.timestamp()) % seconds
        remaining = 0 if exhausted else max(0, hit.limit - hit.used)
        return {
            "RateLimit-Limit": str(hit.limit),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(reset),
        }

    async def document(self, request: web.Request) -> web.Response:
        """``GET /json/{name}``: the counters of ``name`` now, nested under ``data``."""
        name = request.match_info["name"]
        kind = kind_of(name)
        if kind == "missing":
            return web.json_response(NOT_FOUND, status=404)
        if kind == "suspended":
            return web.json_response(GONE, status=410)
        counts = self.counters(PLATFORM, name, self._clock())
        return web.json_response(
            {
                "data": {
                    "follower_count": counts.followers,
                    "following_count": counts.following,
                    "video_count": counts.posts,
                },
                "id": name,
            }
        )
