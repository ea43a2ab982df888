"""The soak: several `bot run` workers on PostgreSQL, the simulator's faults on, one worker killed.

Used by the full run (bench/soak.py) and its shortened test (tests/daemon/test_soak.py). The
simulator runs in a thread of this process, so faults can be queued while the workers poll;
the workers are real processes on the real clock (as in tests/daemon/test_processes.py): a
"day" is a day's worth of poll cycles at intervals of seconds. Yesterday has a snapshot, so the
daily digest is due at once and every worker tries to send it.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import signal
import socket
import subprocess
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, distinct, func, insert, select
from sqlmodel import Session

from bot.clock import system_clock
from bot.config import AccountSettings, Settings
from bot.daemon.runtime import JITTER_SHARE
from bot.simulator import Simulator
from bot.store.accounts import sync_accounts
from bot.store.tables import ACCOUNT, DIGEST_RUN, POLL_ATTEMPT, SNAPSHOT
from tests.helpers.processes import TIMEOUT, bot, environment, lines_of, rest_of
from tests.helpers.webhook import Webhook, running_webhook

PATH = "/xrpc/app.bsky.actor.getProfiles"
STARTUP_SECONDS = 120.0
# Faults that answer at once or within a second (no 429: those are what the budget prevents).
FAULTS = ("503", "truncated", "malformed", "slow-drip", "redirect")


@dataclass(frozen=True)
class SoakPlan:
    """How big and how long: wall seconds, accounts, their interval, the shared budget."""

    workers: int = 4
    accounts: int = 200
    interval: int = 3  # seconds
    seconds: float = 40.0
    kill_at: float = 12.0  # the first worker is killed once this much has passed, mid-cycle
    budget: tuple[int, int] = (40, 10)  # requests per seconds, enforced by the simulator too
    # The bot's budget is this many requests below the simulator's, as an operator sets a
    # platform's limit with a little room: a request held up on a busy machine reaches the
    # platform later than it started, and at the window's edge the platform may count one more
    # than the workers' shared window does.
    room: int = 0
    fault_every: float = 1.0
    # The run goes on at least this long after the restarted worker says it started: on a busy
    # machine the restart may come after ``seconds``, and the orphans' polls must still be seen.
    after_restart: float = 15.0
    # ...and then, on a machine busy enough to be slower, until every account the killed worker
    # held has been polled again, for at most this long after the restart.
    orphans_within: float = 60.0


@dataclass
class SoakResult:
    """What happened, for the checks."""

    plan: SoakPlan
    attempts: dict[int, list[tuple[datetime, str]]] = field(default_factory=dict)
    rejected: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    digests_delivered: int = 0
    digest_runs: list[tuple[str, str, str]] = field(default_factory=list)  # date, channel, status
    orphans: list[int] = field(default_factory=list)  # leased by the killed worker
    restarted_at: datetime | None = None
    ended_at: datetime | None = None
    logs: list[str] = field(default_factory=list)
    exits: list[int] = field(default_factory=list)  # of the workers stopped at the end

    def too_close(self) -> int:
        """Pairs of polls of one account closer than its interval (less its jitter)."""
        shortest = timedelta(seconds=self.plan.interval * (1 - JITTER_SHARE) - 0.05)
        return sum(
            1
            for times in self.attempts.values()
            for a, b in itertools.pairwise(sorted(t for t, _ in times))
            if b - a < shortest
        )

    def close_pairs(self) -> list[tuple[int, list[tuple[str, str]]]]:
        """The accounts of ``too_close``, with their polls (for a failure's message)."""
        shortest = timedelta(seconds=self.plan.interval * (1 - JITTER_SHARE) - 0.05)
        found = []
        for account, times in self.attempts.items():
            ordered = sorted(times)
            if any(b[0] - a[0] < shortest for a, b in itertools.pairwise(ordered)):
                found.append((account, [(f"{t:%H:%M:%S.%f}", o) for t, o in ordered]))
        return found

    def orphan_delay(self) -> float | None:
        """Seconds from the restart until every account the killed worker held was polled."""
        if self.restarted_at is None or not self.orphans:
            return None
        delays = []
        for account in self.orphans:
            later = [t for t, _ in self.attempts.get(account, []) if t >= self.restarted_at]
            if not later:
                return float("inf")
            delays.append((min(later) - self.restarted_at).total_seconds())
        return max(delays)

    def longest_gap(self, until: datetime) -> float:
        """The longest wait of any account for its next poll, in seconds (to ``until`` at most)."""
        gaps = []
        for times in self.attempts.values():
            instants = [*sorted(t for t, _ in times), until]
            gaps += [(b - a).total_seconds() for a, b in itertools.pairwise(instants)]
        return max(gaps, default=0.0)

    def rate_limited_polls(self) -> int:
        """Poll attempts recorded as rate limited."""
        return sum(1 for times in self.attempts.values() for _, o in times if o == "rate_limited")


class ThreadedSimulator:
    """The simulator on its own event loop in a thread: faults can be queued from here."""

    def __init__(self, budget: tuple[int, int]) -> None:
        self.loop = asyncio.new_event_loop()
        self.sim = Simulator(system_clock, enforce_limits=True, fault_delay=2.0, drip_seconds=1.0)
        window = self.sim.platform("bluesky").window
        window.limit, window.seconds = budget
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> str:
        """Serve; the base URL."""
        self._thread.start()
        return asyncio.run_coroutine_threadsafe(self.sim.start("127.0.0.1", 0), self.loop).result()

    def inject(self, kind: str) -> None:
        """Queue one fault on the Bluesky profiles path."""
        self.loop.call_soon_threadsafe(lambda: self.sim.inject(PATH, kind))  # type: ignore[arg-type]

    def stop(self) -> None:
        """Stop serving and end the thread."""
        asyncio.run_coroutine_threadsafe(self.sim.stop(), self.loop).result(timeout=TIMEOUT)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=TIMEOUT)


def write_config(tmp_path: Path, plan: SoakPlan, base_url: str) -> list[str]:
    """The workers' shared config; the handles."""
    handles = [f"soak{i}.bsky.social" for i in range(plan.accounts)]
    requests, seconds = plan.budget
    lines = [
        "[bot]",
        f'poll_interval = "{plan.interval}s"',
        'timezone = "UTC"',
        'digest_at = "00:00"',
        "[platforms.bluesky]",
        f'base_url = "{base_url}"',
        "allow_private_addresses = true",
        f'rate_limit = "{requests - plan.room}/{seconds}s"',
    ]
    for handle in handles:
        lines += ["[[accounts]]", 'platform = "bluesky"', f'handle = "{handle}"']
    (tmp_path / "accounts.toml").write_text("\n".join(lines) + "\n")
    return handles


def seed_yesterday(engine: Engine) -> None:
    """History from yesterday, so today's daily digest is due at once.

    On an account outside the config (polled by no one): a count of its own on a polled account
    would differ from the simulator's and make every first poll a suspect drop, rechecked soon.
    """
    now = system_clock()
    settings = Settings(accounts=(AccountSettings("bluesky", "yesterday.bsky.social"),))
    with Session(engine) as session:
        sync_accounts(session, settings, now)
        session.commit()
    with engine.begin() as connection:
        account = connection.execute(select(ACCOUNT.c.id)).scalar_one()
        connection.execute(
            insert(SNAPSHOT).values(
                account_id=account,
                captured_at=now - timedelta(days=1),
                followers=1000,
                precision=1,
                source="poll",
                quality="ok",
            )
        )


def start_worker(tmp_path: Path, url: str, notify: str) -> subprocess.Popen[str]:
    """One `bot run` worker."""
    env = {**environment(tmp_path, url), "BOT_NOTIFY": notify}
    return subprocess.Popen(
        bot("run"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env
    )


def started_line(process: subprocess.Popen[str]) -> str:
    """Wait for the worker's start line (four processes start slowly on a busy 2-core machine)."""
    return lines_of(process, "stderr").wait_for("daemon started", timeout=STARTUP_SECONDS)


def worker_id(process: subprocess.Popen[str]) -> str:
    """The lease owner's name of a worker process on this host (bot.daemon.runtime)."""
    return f"{socket.gethostname()[:40]}:{process.pid}"


def leased_by(engine: Engine, owner: str) -> list[int]:
    """Accounts leased to ``owner`` right now."""
    with engine.connect() as connection:
        rows = connection.execute(select(ACCOUNT.c.id).where(ACCOUNT.c.lease_owner == owner))
        return list(rows.scalars())


def stop_worker(process: subprocess.Popen[str]) -> tuple[int, str]:
    """SIGTERM, wait: the exit status and the rest of its log (-9 if it had to be killed)."""
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=STARTUP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=TIMEOUT)
        code = -9
    return code, rest_of(process, "stderr")


def polled_since(engine: Engine, accounts: list[int], since: datetime | None) -> bool:
    """Whether every one of ``accounts`` has a poll attempt that started at ``since`` or later."""
    if since is None or not accounts:
        return True
    with engine.connect() as connection:
        statement = select(func.count(distinct(POLL_ATTEMPT.c.account_id))).where(
            POLL_ATTEMPT.c.account_id.in_(accounts), POLL_ATTEMPT.c.started_at >= since
        )
        return connection.execute(statement).scalar_one() == len(set(accounts))


def kill_mid_cycle(engine: Engine, workers: list[subprocess.Popen[str]], by: float) -> int:
    """SIGKILL the first worker seen holding leases (mid-cycle), else the first at ``by``."""
    owners = {worker_id(w): i for i, w in enumerate(workers)}
    chosen = 0
    while time.monotonic() < by:
        with engine.connect() as connection:
            held = (
                connection.execute(
                    select(ACCOUNT.c.lease_owner).where(ACCOUNT.c.lease_owner.in_(list(owners)))
                )
                .scalars()
                .first()
            )
        if held is not None:
            chosen = owners[held]
            break
        time.sleep(0.005)
    workers[chosen].send_signal(signal.SIGKILL)
    workers[chosen].wait(timeout=TIMEOUT)
    return chosen


def run_soak(tmp_path: Path, engine: Engine, plan: SoakPlan) -> SoakResult:
    """Run the plan; everything the checks need."""
    result = SoakResult(plan)
    simulator = ThreadedSimulator(plan.budget)
    base = simulator.start()
    write_config(tmp_path, plan, base)
    seed_yesterday(engine)
    url = engine.url.render_as_string(hide_password=False)
    hook = Webhook()
    faults = random.Random(5)
    with running_webhook(hook):
        notify = hook.url("/digest")
        workers = [start_worker(tmp_path, url, notify) for _ in range(plan.workers)]
        try:
            for worker in workers:
                started_line(worker)
            started = time.monotonic()
            killed = False
            next_fault = started
            until = started + plan.seconds
            restarted = math.inf  # monotonic instant of the restart
            while time.monotonic() < until or (
                time.monotonic() < restarted + plan.orphans_within
                and not polled_since(engine, result.orphans, result.restarted_at)
            ):
                if time.monotonic() >= next_fault:
                    simulator.inject(faults.choice(FAULTS))
                    next_fault += plan.fault_every
                if not killed and time.monotonic() - started >= plan.kill_at:
                    index = kill_mid_cycle(engine, workers, by=started + plan.seconds)
                    result.orphans = leased_by(engine, worker_id(workers[index]))
                    result.logs.append(rest_of(workers[index], "stderr"))
                    workers[index] = start_worker(tmp_path, url, notify)
                    # It frees the dead worker's leases before it says it started.
                    started_line(workers[index])
                    result.restarted_at = system_clock()
                    restarted = time.monotonic()
                    until = max(until, restarted + plan.after_restart)
                    killed = True
                time.sleep(0.05)
        finally:
            result.ended_at = system_clock()
            for worker in workers:
                if worker.poll() is None:
                    code, rest = stop_worker(worker)
                    result.exits.append(code)
                    result.logs.append(rest)
            simulator.stop()
        result.digests_delivered = len(hook.delivered["/digest"])
    _collect(engine, simulator.sim, result)
    return result


def _collect(engine: Engine, sim: Simulator, result: SoakResult) -> None:
    """Poll attempts, digest runs and the simulator's counts into ``result``."""
    attempts: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    with engine.connect() as connection:
        for account, at, outcome in connection.execute(
            select(POLL_ATTEMPT.c.account_id, POLL_ATTEMPT.c.started_at, POLL_ATTEMPT.c.outcome)
        ):
            attempts[account].append((at.astimezone(UTC), outcome))
        runs = select(DIGEST_RUN.c.digest_date, DIGEST_RUN.c.channel, DIGEST_RUN.c.status)
        result.digest_runs = [(str(d), c, s) for d, c, s in connection.execute(runs)]
    result.attempts = dict(attempts)
    result.rejected = sim.rejected["bluesky"]
    result.faults = dict(sim.faults_served)
    result.requests = sum(sim.requests.values())


def figures(result: SoakResult) -> dict[str, Any]:
    """The checks' figures, by name."""
    polls = sum(len(t) for t in result.attempts.values())
    return {
        "polls": polls,
        "accounts polled": len(result.attempts),
        "requests": result.requests,
        "faults served": sum(result.faults.values()),
        "429 from the simulator": result.rejected,
        "rate_limited polls": result.rate_limited_polls(),
        "polled twice within the interval": result.too_close(),
        "accounts the killed worker held": len(result.orphans),
        "seconds until they were polled after restart": result.orphan_delay(),
        "longest wait for a poll (s)": result.longest_gap(result.ended_at or system_clock()),
        "digests delivered": result.digests_delivered,
        "digest_run rows (date, status)": [(d, s) for d, _, s in result.digest_runs],
    }
