"""The daemon as real processes: kill -9 and restart, a second daemon refused, three workers."""

from __future__ import annotations

import itertools
import json
import re
import signal
import socket
import sqlite3
import subprocess
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from bot.daemon.runtime import JITTER_SHARE
from bot.store.models import PollAttempt, Snapshot
from tests.helpers.processes import TIMEOUT, bot, environment, read_line_with, rest_of

pytestmark = [pytest.mark.process]

_POLLED = re.compile(r"polled (\d+) accounts")


def write_config(tmp_path: Path, base_url: str, accounts: int, interval: str) -> None:
    lines = [
        "[bot]",
        f'poll_interval = "{interval}"',
        "[platforms.bluesky]",
        f'base_url = "{base_url}"',
        "allow_private_addresses = true",
    ]
    for i in range(accounts):
        lines += ["[[accounts]]", 'platform = "bluesky"', f'handle = "user{i}.bsky.social"']
    (tmp_path / "accounts.toml").write_text("\n".join(lines) + "\n")


def start(tmp_path: Path, database_url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        bot("run", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=environment(tmp_path, database_url),
    )


def stop(process: subprocess.Popen[str]) -> str:
    """SIGTERM, expect exit 0 within 10 s, return the rest of stderr."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=TIMEOUT)
    rest = rest_of(process, "stderr")
    assert code == 0, rest[-3000:]
    assert time.monotonic() - started < 10
    return rest


def polled_at_least(process: subprocess.Popen[str], wanted: int) -> None:
    """Read the daemon's log until its cycles have polled ``wanted`` accounts in all."""
    total = 0
    while total < wanted:
        line = read_line_with(process, "stderr", "polled ")
        total += int(_POLLED.findall(line)[0])


def test_kill_9_then_restart_polls_again_without_duplicates(tmp_path: Path, simulator: str) -> None:
    write_config(tmp_path, simulator, accounts=40, interval="2s")
    db = tmp_path / "bot.db"
    url = f"sqlite:///{db}"
    first = start(tmp_path, url)
    try:
        read_line_with(first, "stderr", "polled 40 accounts")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=TIMEOUT)
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        before = connection.execute("SELECT count(*) FROM snapshot").fetchone()[0]
    second = start(tmp_path, url)
    try:
        polled_at_least(second, 80)  # every account again, and the schedule goes on
    finally:
        rest = stop(second)
    assert "Traceback" not in rest
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        after = connection.execute("SELECT count(*) FROM snapshot").fetchone()[0]
        duplicates = connection.execute(
            "SELECT count(*) FROM (SELECT account_id, captured_at FROM snapshot "
            "GROUP BY account_id, captured_at HAVING count(*) > 1)"
        ).fetchone()[0]
        leased = connection.execute(
            "SELECT count(*) FROM account WHERE lease_owner IS NOT NULL"
        ).fetchone()[0]
    assert before >= 40 and after > before + 40 and duplicates == 0 and leased == 0


def test_a_second_daemon_on_one_sqlite_file_is_refused(tmp_path: Path, simulator: str) -> None:
    write_config(tmp_path, simulator, accounts=3, interval="1h")
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    first = start(tmp_path, url)
    try:
        read_line_with(first, "stderr", "polled 3 accounts")
        second = subprocess.run(
            bot("run"),
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=environment(tmp_path, url),
            timeout=TIMEOUT,
        )
        assert second.returncode == 1
        assert "another `bot run` already uses" in second.stderr
        assert f"pid {first.pid}" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        stop(first)


def polled_twice(engine: Engine) -> int:
    """How many accounts have at least two poll attempts so far."""
    with engine.connect() as connection:
        twice = (
            select(PollAttempt.account_id)  # type: ignore[call-overload]
            .group_by(PollAttempt.account_id)
            .having(func.count() >= 2)
            .subquery()
        )
        return int(connection.execute(select(func.count()).select_from(twice)).scalar_one())


def test_three_workers_on_postgresql_share_every_due_poll_once(
    tmp_path: Path, simulator: str, pg_engine: Engine
) -> None:
    interval = timedelta(seconds=3)
    write_config(tmp_path, simulator, accounts=300, interval="3s")
    url = pg_engine.url.render_as_string(hide_password=False)
    workers = [start(tmp_path, url) for _ in range(3)]
    logs: list[str] = []
    try:
        # Real daemons on the real clock: wait (bounded) until every account has been polled on
        # schedule at least twice and a little more, whatever the machine's load at start-up.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and polled_twice(pg_engine) < 300:
            time.sleep(0.5)
        time.sleep(interval.total_seconds())
    finally:
        for worker in workers:
            logs.append(stop(worker))
    with pg_engine.connect() as connection:
        rows = connection.execute(
            select(PollAttempt.account_id, PollAttempt.started_at, PollAttempt.outcome)  # type: ignore[call-overload]
        ).all()
        snapshots = connection.execute(select(func.count()).select_from(Snapshot)).scalar_one()
    assert {outcome for _, _, outcome in rows} == {"ok"}
    by_account: dict[int, list] = defaultdict(list)
    for account_id, started_at, _ in rows:
        by_account[account_id].append(started_at)
    assert len(by_account) == 300
    # Never two polls of one account inside one interval (less its jitter): no due poll twice.
    shortest = interval * (1 - JITTER_SHARE) - timedelta(milliseconds=50)
    for times in by_account.values():
        times.sort()
        assert all(b - a >= shortest for a, b in itertools.pairwise(times))
    # Every account was polled on schedule: about once per interval over the run.
    assert min(len(t) for t in by_account.values()) >= 2
    assert snapshots == len(rows)
    polled = [sum(int(n) for n in _POLLED.findall(log)) for log in logs]
    assert sum(polled) <= len(rows)  # the final cycle's line may be cut by the stop
    assert sum(1 for count in polled if count > 0) >= 2  # the work was shared


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_daemon_serves_metrics_and_logs_json(tmp_path: Path, simulator: str) -> None:
    write_config(tmp_path, simulator, accounts=5, interval="1h")
    port = free_port()
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    process = start(tmp_path, url, "--metrics-port", str(port), "--log-format", "json")
    try:
        line = read_line_with(process, "stderr", "polled 5 accounts")
        assert json.loads(line)["logger"] == "bot.daemon.scheduler"
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    finally:
        rest = stop(process)
    assert 'bot_polls_total{outcome="ok",platform="bluesky"} 5.0' in text
    assert 'bot_platform_up{platform="bluesky"} 1.0' in text
    assert all(json.loads(entry) for entry in rest.splitlines() if entry.strip())
