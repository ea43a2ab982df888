"""What lives as long as the daemon: one adapter and one gate per platform, retries, jitter."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine

from bot.clock import Clock
from bot.config import Settings
from bot.daemon.ledger import budget_id, ledger_for
from bot.http.budget import GateView, PlatformGate, merge_views
from bot.http.retry import RetryPolicy
from bot.http.shared import Ledger, SharedBudget
from bot.intervals import Scheduled, account_interval
from bot.platforms import REGISTRY
from bot.platforms.base import Adapter

# Due times are pulled earlier by up to this share of the interval (at most MAX_JITTER), so
# accounts added together drift apart instead of hitting a platform in one burst forever.
JITTER_SHARE = 0.1
MAX_JITTER = timedelta(minutes=10)
# Alerts are evaluated after a poll cycle at most this often (cycles come every second with a
# per-second budget), and this often when nothing is polled (a platform stuck is news too).
ALERTS_EVERY = timedelta(minutes=1)
log = logging.getLogger(__name__)


class AccountKey(Protocol):
    """What names an account: its platform and handle."""

    @property
    def platform(self) -> str: ...
    @property
    def handle(self) -> str: ...


def worker_name() -> str:
    """``host:pid``: who holds a lease, in the database and the logs."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def dead_workers(owners: set[str], me: str) -> list[str]:
    """Lease owners of this host whose process is gone (killed, crashed): their leases are stale.

    A name equal to ours is a previous life of this worker (a container restarted as pid 1).
    """
    host = me.rpartition(":")[0]
    dead = []
    for owner in sorted(owners):
        name, _, pid = owner.rpartition(":")
        if name != host or not pid.isdigit():
            continue
        if owner == me or not _alive(int(pid)):
            dead.append(owner)
    return dead


def _alive(pid: int) -> bool:
    """Whether a process with this id runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive, and not ours to judge
    return True


@dataclass
class Runtime:
    """Adapters (and their caches, e.g. OAuth tokens) and gates kept across poll cycles."""

    settings: Settings
    clock: Clock
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    rng: random.Random = field(default_factory=random.Random)
    worker: str = field(default_factory=worker_name)
    # Where the workers' shared budgets live (PostgreSQL); None: each gate keeps its own window.
    ledger: Ledger | None = None
    _adapters: dict[str, Adapter] = field(default_factory=dict)
    _gates: dict[tuple[str, str], PlatformGate] = field(default_factory=dict)
    _counted: dict[str, tuple[int, int]] = field(default_factory=dict)
    # Each platform's state as last written to platform_state.
    saved_views: dict[str, GateView] = field(default_factory=dict)
    alerts_at: datetime | None = None
    # Built from the settings on first use, then read for every account polled.
    _options: dict[tuple[str, str], Mapping[str, Any]] | None = None
    _secrets: list[str] | None = None

    def interval(self, account: Scheduled) -> timedelta | None:
        """The account's poll interval; None when nobody declares it (on request only)."""
        return account_interval(self.settings, account)

    def options(self, platform: str, handle: str) -> Mapping[str, Any]:
        """The account's configured options (e.g. a JSON source's URL)."""
        if self._options is None:
            self._options = dict(self.settings.account_options())
        return self._options.get((platform, handle), {})

    def secrets(self) -> list[str]:
        """Every configured secret, for redaction only."""
        if self._secrets is None:
            self._secrets = self.settings.secret_values()
        return self._secrets

    def gate(self, platform: str, key: str = "") -> PlatformGate:
        """The gate of one budget (``key``: a Mastodon instance; "" for most platforms)."""
        if (platform, key) not in self._gates:
            entry = self.settings.platform(platform)
            budget = entry.rate_limit or REGISTRY[platform].rate_budget
            shared = None
            if self.ledger is not None:
                token = entry.token.reveal() if entry.token else None
                row = budget_id(platform, key, token)
                shared = SharedBudget(self.ledger, row, budget.requests, budget.per_seconds)
            self._gates[(platform, key)] = PlatformGate(platform, budget, self.clock, shared)
        return self._gates[(platform, key)]

    def gates_of(self, platform: str) -> list[PlatformGate]:
        """Every gate of one platform made so far."""
        return [gate for (name, _), gate in self._gates.items() if name == platform]

    def views(self) -> dict[str, GateView]:
        """Each platform's state, merged over its budgets."""
        platforms = sorted({name for name, _ in self._gates})
        return {p: merge_views([g.view() for g in self.gates_of(p)]) for p in platforms}

    @classmethod
    def on(cls, engine: Engine, settings: Settings, clock: Clock) -> Runtime:
        """The runtime of a worker on ``engine``: budgets shared in PostgreSQL, local on SQLite."""
        return cls(settings, clock, ledger=ledger_for(engine))

    def adapter(self, platform: str) -> Adapter:
        """The platform's adapter, configured once and wired to its gate and the retry policy."""
        if platform not in self._adapters:
            entry = self.settings.platform(platform)
            token = entry.token.reveal() if entry.token else None
            self._adapters[platform] = REGISTRY[platform](
                base_url=entry.base_url,
                token=token,
                options=entry.options,
                gate=self.gate(platform),
                retry=self.retry,
                clock=self.clock,
                allow_private_addresses=entry.allow_private_addresses,
                max_response_bytes=self.settings.max_response_bytes,
            )
        return self._adapters[platform]

    def take_counts(self) -> dict[str, tuple[int, int]]:
        """Requests and rate-limit answers per platform since the last call."""
        deltas = {}
        for platform in sorted({name for name, _ in self._gates}):
            gates = self.gates_of(platform)
            now = (sum(g.requests for g in gates), sum(g.rate_limited_count for g in gates))
            before = self._counted.get(platform, (0, 0))
            deltas[platform] = (now[0] - before[0], now[1] - before[1])
            self._counted[platform] = now
        return deltas

    def jitter(self, interval: timedelta) -> timedelta:
        """How much earlier than ``interval`` the next poll is due."""
        # Never later: whoever waits exactly one interval finds the account due.
        spread = min(interval * JITTER_SHARE, MAX_JITTER).total_seconds()
        return timedelta(seconds=self.rng.uniform(0.0, spread))

    async def after_cycle(self, engine: Engine) -> None:
        """The hook after each poll cycle: immediate alerts (bot/alerts/), never raising."""
        now = self.clock()
        if self.alerts_at is not None and now - self.alerts_at < ALERTS_EVERY:
            return
        self.alerts_at = now
        from bot.alerts import run_alerts

        try:
            await asyncio.to_thread(run_alerts, engine, self.settings, self.clock)
        except Exception:
            # Alerts must never stop polling; the next cycle evaluates again.
            log.exception("alert evaluation failed")
