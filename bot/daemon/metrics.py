"""Prometheus metrics of the daemon, on its own registry, served on loopback by ``bot run``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.daemon.poller import PollResult
from bot.http.budget import GateView, RateBudget
from bot.kinds import GateState, PollOutcome

_DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The daemon's counters and gauges; ``observe`` after each cycle, ``render`` to scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.polls = Counter(
            "bot_polls",
            "Poll attempts by platform and outcome.",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "bot_poll_duration_seconds",
            "Time to fetch the batch an account was polled in.",
            ["platform"],
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.followers = Gauge(
            "bot_followers",
            "Followers at the last good poll.",
            ["platform", "handle"],
            registry=self.registry,
        )
        self.last_success = Gauge(
            "bot_last_success_timestamp_seconds",
            "Unix time of the account's last successful poll.",
            ["platform", "handle"],
            registry=self.registry,
        )
        self.up = Gauge(
            "bot_platform_up",
            "1 when the platform is usable, 0 while rate limited or its circuit is open.",
            ["platform"],
            registry=self.registry,
        )
        self.requests = Counter(
            "bot_platform_requests",
            "Requests sent to the platform.",
            ["platform"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "bot_platform_rate_limited",
            "Rate-limit answers (429 or the platform's equivalent) received.",
            ["platform"],
            registry=self.registry,
        )
        self.circuit_open = Gauge(
            "bot_platform_circuit_open",
            "1 while the platform's breaker is open (repeated failures), else 0.",
            ["platform"],
            registry=self.registry,
        )
        self.budget = Gauge(
            "bot_platform_budget_requests_per_second",
            "Requests per second the platform's budget in force allows (for budget use).",
            ["platform"],
            registry=self.registry,
        )

    def set_budgets(self, budgets: Mapping[str, RateBudget]) -> None:
        """Publish each platform's budget once: dashboards divide the request rate by it."""
        for platform, budget in budgets.items():
            self.budget.labels(platform).set(budget.requests / budget.per_seconds)

    def observe(
        self,
        results: Iterable[PollResult],
        views: Mapping[str, GateView],
        counted: Mapping[str, tuple[int, int]],
        now_epoch: float,
    ) -> None:
        """Account for one cycle's results and each platform's gate."""
        for result in results:
            if result.outcome == "deferred":
                continue
            self.polls.labels(result.platform, result.outcome).inc()
            self.duration.labels(result.platform).observe(result.duration_ms / 1000)
            # A count the quality gate holds as suspect still came from an answering platform.
            if result.outcome in (PollOutcome.OK, PollOutcome.SUSPECT):
                self.last_success.labels(result.platform, result.handle).set(now_epoch)
            if result.outcome == PollOutcome.OK and result.followers is not None:
                self.followers.labels(result.platform, result.handle).set(result.followers)
        for platform, view in views.items():
            self.up.labels(platform).set(1 if view.state == GateState.OK else 0)
            self.circuit_open.labels(platform).set(1 if view.state == GateState.CIRCUIT_OPEN else 0)
            requests, limited = counted.get(platform, (0, 0))
            self.requests.labels(platform).inc(requests)
            self.rate_limited.labels(platform).inc(limited)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)


async def serve_metrics(metrics: Metrics, port: int, host: str = "127.0.0.1") -> web.AppRunner:
    """Serve ``/metrics`` on ``host`` (loopback unless told); the caller cleans the runner up."""

    async def scrape(_request: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.add_routes([web.get("/metrics", scrape)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner
