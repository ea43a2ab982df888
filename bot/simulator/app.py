"""The simulator server: every simulated platform on one loopback port, counts and faults."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.clock import Clock, system_clock
from bot.http.addresses import is_loopback
from bot.simulator.bluesky import BlueskySim
from bot.simulator.faults import (
    LOGIN_PAGE,
    LOGIN_PATH,
    RATE_LIMIT_FAULTS,
    FaultKind,
    FaultPlan,
    fault_response,
    http_date,
)
from bot.simulator.github import GitHubSim
from bot.simulator.glitches import CounterSource, GlitchKind
from bot.simulator.graph import GraphSim
from bot.simulator.hostile import HostileKind, with_hostile_values
from bot.simulator.json_source import JsonSourceSim
from bot.simulator.limits import PlatformSim
from bot.simulator.mastodon import MastodonSim
from bot.simulator.reddit import RedditSim
from bot.simulator.stalls import drip, hang
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
DEFAULT_FAULT_DELAY = 30.0
DEFAULT_DRIP_SECONDS = 5.0
MAX_LATENCY = 60.0  # seconds: a round trip longer than this is a hang, which faults cover
_SHUTDOWN_SECONDS = 2.0  # backstop: stop() already ends hangs and drips at once


class Simulator:
    """Local platform APIs on one port, with counters that follow an injected clock.

    ``enforce_limits`` makes each platform answer its own 429 (or 403) past its published
    budget; ``rejected`` counts those answers per platform. ``fault_delay`` bounds a ``hang``
    and ``drip_seconds`` a ``slow-drip`` (never longer than ``fault_delay``), in real seconds.
    ``latency`` holds every platform answer back that many real seconds (a distant server).
    """

    def __init__(
        self,
        clock: Clock = system_clock,
        platforms: Sequence[Callable[[Clock], PlatformSim]] = SIMULATED,
        *,
        enforce_limits: bool = False,
        fault_delay: float = DEFAULT_FAULT_DELAY,
        drip_seconds: float = DEFAULT_DRIP_SECONDS,
        latency: float = 0.0,
    ) -> None:
        if not 0 <= latency <= MAX_LATENCY:
            raise ValueError(f"expected a latency from 0 to {MAX_LATENCY:g} s, got {latency!r}")
        self.clock = clock
        self.counters = CounterSource()
        self.platforms = [make(clock) for make in platforms]
        for platform in self.platforms:
            platform.counters = self.counters  # one source: a glitch reaches every platform
        self.enforce_limits = enforce_limits
        self.fault_delay = fault_delay
        self.drip_seconds = drip_seconds
        self.latency = latency
        self.faults = FaultPlan()
        self.requests: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self.faults_served: Counter[str] = Counter()
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self.base_url: str | None = None

    def platform(self, name: str) -> PlatformSim:
        """The simulated platform called ``name`` (as in ``rejected``)."""
        for platform in self.platforms:
            if platform.name == name:
                return platform
        known = sorted(p.name for p in self.platforms)
        raise KeyError(f"no simulated platform {name!r}; expected one of {known}")

    def budgets(self) -> dict[str, tuple[int, int]]:
        """Each platform's published budget: (requests, window seconds)."""
        return {p.name: (p.limit, p.window_seconds) for p in self.platforms}

    def set_budget(self, name: str, requests: int) -> None:
        """Give platform ``name`` a budget of ``requests`` per window instead of its published one.

        Only the main window: GitHub's token window and Reddit's token endpoint keep theirs.
        """
        if requests < 1:
            raise ValueError(f"expected a budget of at least 1 request, got {requests}")
        self.platform(name).window.limit = requests

    def _platform_for(self, request: web.Request) -> PlatformSim | None:
        """The simulated platform whose route matched ``request``, if any."""
        # By matched route, not path prefix: Reddit's /api/info and Mastodon's /api/v1 share
        # a prefix, as do GitHub's and Reddit's /user/ paths.
        route = request.match_info.route
        owners = request.app[_OWNERS]
        return owners.get(id(route.resource)) if route.resource is not None else None

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Count, enforce budgets, apply queued faults, and stamp rate-limit headers."""
        path = request.path
        if path.startswith(_INTERNAL_PREFIX):
            return await handler(request)
        self.requests[path] += 1
        if self.latency > 0:
            await asyncio.sleep(self.latency)  # before anything: a rejection travels as far
        platform = self._platform_for(request)
        hit = platform.window_for(request).hit() if platform is not None else None
        if platform is not None and hit is not None and self.enforce_limits and hit.over:
            # Checked before faults: a rejected request never reaches the faulty backend.
            self.rejected[platform.name] += 1
            rejection = platform.throttled(hit)
            rejection.headers["Date"] = http_date(self.clock())
            return rejection
        fault = self.faults.take(path)
        if fault is not None:
            self.faults_served[fault] += 1
        # The Date header follows the injected clock, so an HTTP-date Retry-After read
        # against it (RFC 9110) means the same wait as against the clock.
        rate = {"Date": http_date(self.clock())}
        if platform is not None and hit is not None:
            rate.update(platform.rate_headers(hit, exhausted=fault in RATE_LIMIT_FAULTS))
        if fault == "hang":
            response: web.StreamResponse = await hang(self._stopping, self.fault_delay)
        elif fault is not None and fault != "slow-drip":
            response = fault_response(fault, platform, hit, self.clock())
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                exc.headers.update(rate)
                raise
            if self.counters.any_hostile:
                _rewrite_hostile(response)
            if fault == "slow-drip":
                response.headers.update(rate)
                seconds = min(self.drip_seconds, self.fault_delay)
                return await drip(request, response, self._stopping, seconds)
        if not response.prepared:
            response.headers.update(rate)
        return response

    async def _stats(self, request: web.Request) -> web.Response:
        """``GET /_sim/stats``: requests served per path (and rejections, when enforcing)."""
        stats: dict[str, Any] = {"requests": dict(self.requests)}
        if self.enforce_limits:
            stats["rejected"] = dict(self.rejected)
        return web.json_response(stats)

    async def _login(self, request: web.Request) -> web.Response:
        """``GET /login``: where the ``redirect`` fault sends clients (an HTML page, HTTP 200)."""
        return web.Response(text=LOGIN_PAGE, content_type="text/html")

    def app(self) -> web.Application:
        """A fresh aiohttp application bound to this simulator's state."""
        application = web.Application(middlewares=[self._middleware])
        owners: dict[int, PlatformSim] = {}
        for platform in self.platforms:
            for route in application.add_routes(platform.routes()):
                if route.resource is not None:
                    owners[id(route.resource)] = platform
        application[_OWNERS] = owners
        application.add_routes([web.get(STATS_PATH, self._stats), web.get(LOGIN_PATH, self._login)])
        return application

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (loopback only; port 0 picks one) and return the base URL."""
        if not is_loopback(host):
            raise ValueError(f"the simulator only listens on loopback addresses, not {host!r}")
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        self._stopping = asyncio.Event()
        runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=_SHUTDOWN_SECONDS)
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
        """Stop serving, cutting short any hang or drip in flight; safe when not started."""
        runner, self._runner, self.base_url = self._runner, None, None
        self._stopping.set()
        if runner is not None:
            await runner.cleanup()

    def inject(self, path: str, kind: FaultKind, times: int = 1) -> None:
        """The next ``times`` requests to ``path`` answer with fault ``kind``."""
        self.faults.inject(path, kind, times)

    def glitch(
        self,
        platform: str,
        handle: str,
        kind: GlitchKind,
        times: int | None = 1,
        factor: float = 0.5,
    ) -> None:
        """The next ``times`` answers for ``handle`` report 0 or ``factor`` x the followers.

        ``times=None`` keeps the glitch from now on (a real, lasting drop). ``platform`` is
        the name the counters use (``Simulator.counter_platforms()``).
        """
        known = self.counter_platforms()
        if platform not in known:
            raise ValueError(f"unknown platform {platform!r} for a glitch; expected one of {known}")
        self.counters.glitch(platform, handle, kind, times, factor)

    def hostile(self, platform: str, handle: str, kind: HostileKind) -> None:
        """From now on ``handle`` answers a hostile follower count of ``kind`` (hostile.py).

        ``platform`` is the name the counters use, as for ``glitch``.
        """
        known = self.counter_platforms()
        if platform not in known:
            raise ValueError(f"unknown platform {platform!r}; expected one of {known}")
        self.counters.hostile(platform, handle, kind)

    def remember(self, platform: str, handles: Iterable[str]) -> None:
        """Know these accounts' ids from the start, as a simulator that served them before would."""
        for sim in self.platforms:
            if platform in sim.counter_platforms:
                for handle in handles:
                    sim.remember(handle)

    def counter_platforms(self) -> list[str]:
        """The platform names glitches accept (facebook and instagram share the Graph sim)."""
        return sorted({name for p in self.platforms for name in p.counter_platforms})

    def reset_counts(self) -> None:
        """Forget the per-path request counts and the rejection counts."""
        self.requests.clear()
        self.rejected.clear()
        self.faults_served.clear()


def _rewrite_hostile(response: web.StreamResponse) -> None:
    """Swap hostile markers in a whole (not streamed) body for their hostile JSON."""
    if isinstance(response, web.Response) and isinstance(response.body, bytes):
        response.body = with_hostile_values(response.body)


async def serve_forever(
    host: str,
    port: int,
    clock: Clock = system_clock,
    *,
    on_ready: Callable[[str], None] | None = None,
    enforce_limits: bool = False,
    latency: float = 0.0,
    budgets: Mapping[str, int] | None = None,
) -> None:
    """Run a simulator until SIGTERM, SIGINT or cancellation; ``on_ready`` gets its base URL.

    ``budgets`` maps platform names (as in ``Simulator.budgets()``) to requests per window.
    """
    simulator = Simulator(clock, enforce_limits=enforce_limits, latency=latency)
    for name, requests in (budgets or {}).items():
        simulator.set_budget(name, requests)
    url = await simulator.start(host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Both signals, handled here: a child started from a background job inherits SIGINT ignored.
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        if on_ready is not None:
            on_ready(url)
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await simulator.stop()
