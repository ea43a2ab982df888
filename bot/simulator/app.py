"""The simulator server: every simulated platform on one loopback port, counts and faults."""

from __future__ import annotations

import asyncio
import ipaddress
from collections import Counter
from collections.abc import Callable, Sequence

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.clock import Clock, system_clock
from bot.simulator.bluesky import BlueskySim
from bot.simulator.faults import FaultKind, FaultPlan, fault_response
from bot.simulator.github import GitHubSim
from bot.simulator.graph import GraphSim
from bot.simulator.json_source import JsonSourceSim
from bot.simulator.limits import PlatformSim
from bot.simulator.mastodon import MastodonSim
from bot.simulator.reddit import RedditSim
from bot.simulator.telegram import TelegramSim
from bot.simulator.twitch import TwitchSim
from bot.simulator.x import XSim
from bot.simulator.youtube import YouTubeSim

# One line per simulated platform; each serves its real paths, told apart by matched route.
SIMULATED: tuple[Callable[[Clock], PlatformSim], ...] = (
    MastodonSim,
    BlueskySim,
    XSim,
    GraphSim,
    YouTubeSim,
    TelegramSim,
    GitHubSim,
    RedditSim,
    TwitchSim,
    JsonSourceSim,
)
STATS_PATH = "/_sim/stats"
_OWNERS = web.AppKey("owners", dict[int, PlatformSim])
_INTERNAL_PREFIX = "/_sim/"


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IPv4/IPv6 literals."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Simulator:
    """Local platform APIs on one port, with counters that follow an injected clock."""

    def __init__(
        self,
        clock: Clock = system_clock,
        platforms: Sequence[Callable[[Clock], PlatformSim]] = SIMULATED,
    ) -> None:
        self.clock = clock
        self.platforms = [make(clock) for make in platforms]
        self.faults = FaultPlan()
        self.requests: Counter[str] = Counter()
        self._runner: web.AppRunner | None = None
        self.base_url: str | None = None

    def _platform_for(self, request: web.Request) -> PlatformSim | None:
        """The simulated platform whose route matched ``request``, if any."""
        # By matched route, not path prefix: Reddit's /api/info and Mastodon's /api/v1 share
        # a prefix, as do GitHub's and Reddit's /user/ paths.
        route = request.match_info.route
        owners = request.app[_OWNERS]
        return owners.get(id(route.resource)) if route.resource is not None else None

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Count, apply queued faults, and stamp the platform's rate-limit headers."""
        path = request.path
        if path.startswith(_INTERNAL_PREFIX):
            return await handler(request)
        self.requests[path] += 1
        platform = self._platform_for(request)
        hit = platform.window.hit() if platform is not None else None
        fault = self.faults.take(path)
        if fault is not None:
            body = platform.rate_limited_body if platform else {"error": "Too many requests"}
            response: web.StreamResponse = fault_response(fault, body)
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                if platform is not None and hit is not None:
                    exc.headers.update(platform.rate_headers(hit))
                raise
        if platform is not None and hit is not None:
            response.headers.update(platform.rate_headers(hit, exhausted=fault == "429"))
        return response

    async def _stats(self, request: web.Request) -> web.Response:
        """``GET /_sim/stats``: requests served per path."""
        return web.json_response({"requests": dict(self.requests)})

    def app(self) -> web.Application:
        """A fresh aiohttp application bound to this simulator's state."""
        application = web.Application(middlewares=[self._middleware])
        owners: dict[int, PlatformSim] = {}
        for platform in self.platforms:
            for route in application.add_routes(platform.routes()):
                if route.resource is not None:
                    owners[id(route.resource)] = platform
        application[_OWNERS] = owners
        application.add_routes([web.get(STATS_PATH, self._stats)])
        return application

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (loopback only; port 0 picks one) and return the base URL."""
        if not is_loopback(host):
            raise ValueError(f"the simulator only listens on loopback addresses, not {host!r}")
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        runner = web.AppRunner(self.app(), access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host.strip("[]"), port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_port = int(runner.addresses[0][1])
        shown = f"[{host.strip('[]')}]" if ":" in host else host
        self.base_url = f"http://{shown}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        """Stop serving; safe to call when not started."""
        runner, self._runner, self.base_url = self._runner, None, None
        if runner is not None:
            await runner.cleanup()

    def inject(self, path: str, kind: FaultKind, times: int = 1) -> None:
        """The next ``times`` requests to ``path`` answer with fault ``kind``."""
        self.faults.inject(path, kind, times)

    def reset_counts(self) -> None:
        """Forget the per-path request counts."""
        self.requests.clear()


async def serve_forever(
    host: str,
    port: int,
    clock: Clock = system_clock,
    *,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Run a simulator until cancelled; ``on_ready`` gets the base URL once it listens."""
    simulator = Simulator(clock)
    url = await simulator.start(host, port)
    try:
        if on_ready is not None:
            on_ready(url)
        await asyncio.Event().wait()
    finally:
        await simulator.stop()
