"""Real processes: `bot simulate` on loopback, `bot poll` and `bot run` against it, SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers.processes import TIMEOUT, bot, environment, read_line_with, rest_of

pytestmark = [pytest.mark.process]


def write_config(tmp_path: Path, base_url: str, interval: str = "6h") -> None:
    (tmp_path / "accounts.toml").write_text(f"""
[bot]
poll_interval = "{interval}"

[platforms.bluesky]
base_url = "{base_url}"
allow_private_addresses = true

[platforms.mastodon]
base_url = "{base_url}"
allow_private_addresses = true

[[accounts]]
platform = "bluesky"
handle = "bsky.app"

[[accounts]]
platform = "mastodon"
handle = "Gargron@mastodon.social"

[[accounts]]
platform = "bluesky"
handle = "missing-x.bsky.social"
""")


def test_poll_against_the_simulator_process(
    tmp_path: Path, simulator: str, database_url: str
) -> None:
    write_config(tmp_path, simulator)
    env = environment(tmp_path, database_url)
    done = subprocess.run(
        bot("poll", "--all", "-f", "json"),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    outcomes = {r["handle"]: r["outcome"] for r in json.loads(done.stdout)}
    assert outcomes == {
        "bsky.app": "ok",
        "Gargron@mastodon.social": "ok",
        "missing-x.bsky.social": "not_found",
    }
    accounts = subprocess.run(
        bot("accounts", "-f", "json"),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=TIMEOUT,
    )
    rows = {r["handle"]: r for r in json.loads(accounts.stdout)}
    assert (
        rows["bsky.app"]["followers"] > 0 and rows["missing-x.bsky.social"]["status"] == "not_found"
    )


def test_daemon_polls_and_exits_0_on_sigterm(
    tmp_path: Path, simulator: str, database_url: str
) -> None:
    write_config(tmp_path, simulator, interval="1h")
    process = subprocess.Popen(
        bot("run"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=environment(tmp_path, database_url),
    )
    try:
        read_line_with(process, "stderr", "polled 3 accounts")
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=TIMEOUT) == 0
        assert time.monotonic() - started < 10
    finally:
        if process.poll() is None:
            process.kill()
    rest = rest_of(process, "stderr")
    assert "daemon stopped" in rest and "Traceback" not in rest
