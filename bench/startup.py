"""Start-up time of ``bot``: each command timed as a whole process, median of N runs.

Usage: ``.venv/bin/python bench/startup.py [RUNS]`` (default 15). ``bot accounts`` runs on a
small config (5 accounts) with a SQLite file in a temporary directory, created by a first run
that is not timed.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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
    ("bot accounts (5 accounts)", ["accounts"]),
)


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    """Wall time of one ``python -m bot ARGV`` process, which must succeed."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        env=env,
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main(runs: int) -> None:
    """Print a table: command, median, min and max seconds over ``runs`` runs."""
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
        print(f"{'command':<28} {'median':>8} {'min':>8} {'max':>8}   ({runs} runs each)")
        for label, argv in COMMANDS:
            times = [timed(argv, env, cwd) for _ in range(runs)]
            print(
                f"{label:<28} {statistics.median(times):>7.3f}s {min(times):>7.3f}s "
                f"{max(times):>7.3f}s"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
