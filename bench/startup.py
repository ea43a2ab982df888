"""Start-up time of ``bot``: each command timed as a whole process, median of N runs.

Usage: ``.venv/bin/python bench/startup.py [RUNS]`` (default 15). ``bot accounts`` runs on a
small config (5 accounts) with a SQLite file in a temporary directory, created by a first run
that is not timed. Besides wall time it prints the CPU time (user + system) of the process,
which other work on a shared machine disturbs less.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _processes import machine

CONFIG = """\
[bot]
timezone = "UTC"

[platforms.bluesky]
base_url = "http://127.0.0.1:9"
allow_private_addresses = true

{accounts}
"""
ACCOUNT = '[[accounts]]\nplatform = "bluesky"\nhandle = "user{n}.bsky.social"\n'
COMMANDS = (
    ("bot --help", ["--help"]),
    ("bot --version", ["--version"]),
    ("bot accounts --help", ["accounts", "--help"]),
    ("bot import --help", ["import", "--help"]),
    ("bot accounts (5 accounts)", ["accounts"]),
)


def cpu_of_children() -> float:
    """User + system seconds of every finished child process so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one ``python -m bot ARGV`` process, which must succeed."""
    cpu = cpu_of_children()
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        env=env,
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start, cpu_of_children() - cpu


def main(runs: int) -> None:
    """Print a table: command, median, min and max wall seconds and median CPU seconds."""
    print(f"# bench/startup.py {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        config = cwd / "accounts.toml"
        accounts = "\n".join(ACCOUNT.format(n=n) for n in range(5))
        config.write_text(CONFIG.format(accounts=accounts), encoding="utf-8")
        env = {
            **os.environ,
            "BOT_CONFIG": str(config),
            "DATABASE_URL": f"sqlite:///{cwd / 'bot.db'}",
            "PYTHONPATH": str(Path(__file__).parents[1]),
        }
        # The first run creates and migrates the database; it is not what a user waits for.
        timed(["accounts"], env, cwd)
        print(f"{'command':<28} {'median':>8} {'min':>8} {'max':>8} {'CPU':>8}   ({runs} runs)")
        for label, argv in COMMANDS:
            walls, cpus = zip(*(timed(argv, env, cwd) for _ in range(runs)), strict=True)
            print(
                f"{label:<28} {statistics.median(walls):>7.3f}s {min(walls):>7.3f}s "
                f"{max(walls):>7.3f}s {statistics.median(cpus):>7.3f}s"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
