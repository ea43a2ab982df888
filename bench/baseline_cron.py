"""The naive baseline: a cron-style script against the same `bot simulate`, beside `bot poll --all`.

The script (``cron_run`` below, run as its own process with ``--cron``) is what one writes
without the bot: ``requests`` with one keep-alive session, one ``getProfile`` request per
account (Bluesky's per-account read; the bot asks ``getProfiles`` for 25 at a time), a plain
``sqlite3`` connection, one INSERT and one COMMIT per account, nothing concurrent. Both read the
same config and poll the same accounts through the same simulator process, each into its own
fresh SQLite file, each timed as a whole process, at 0 ms and 50 ms of simulator latency.

    .venv/bin/python bench/baseline_cron.py                    # 2,000 accounts, 0 and 50 ms
    .venv/bin/python bench/baseline_cron.py --accounts 500 --latency 0ms --latency 100ms
"""

from __future__ import annotations

import argparse
import csv
import sqlite3
import sys
import tempfile
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from _processes import (
    BOT,
    Timed,
    bluesky_handles,
    bot_env,
    machine,
    run_timed,
    simulator,
    write_config,
)

TARGETS = {"0ms": 5.0, "50ms": 40.0}  # issue 13: the bot at least this many times faster
SCHEMA = """CREATE TABLE IF NOT EXISTS snapshots (
    handle TEXT NOT NULL, captured_at TEXT NOT NULL,
    followers INTEGER, following INTEGER, posts INTEGER
)"""


def cron_run(config: Path, database: Path) -> int:
    """Poll every Bluesky account of ``config`` one by one into ``database``; rows stored."""
    import requests  # only the cron process needs it

    settings = tomllib.loads(config.read_text())
    base_url = settings["platforms"]["bluesky"]["base_url"]
    handles = [a["handle"] for a in settings["accounts"] if a["platform"] == "bluesky"]
    connection = sqlite3.connect(database)
    connection.execute(SCHEMA)
    stored = 0
    with requests.Session() as session:
        for handle in handles:
            response = session.get(
                f"{base_url}/xrpc/app.bsky.actor.getProfile", params={"actor": handle}, timeout=30
            )
            if response.status_code != 200:
                print(f"{handle}: HTTP {response.status_code}", file=sys.stderr)
                continue
            profile = response.json()
            connection.execute(
                "INSERT INTO snapshots VALUES (?, ?, ?, ?, ?)",
                (
                    handle,
                    datetime.now(UTC).isoformat(),
                    profile.get("followersCount"),
                    profile.get("followsCount"),
                    profile.get("postsCount"),
                ),
            )
            connection.commit()
            stored += 1
    connection.close()
    return stored


def bot_ok_rows(timed: Timed) -> int:
    """Accounts `bot poll -f csv` reported ok."""
    with timed.stdout.open(newline="") as handle:
        return sum(row.get("outcome") == "ok" for row in csv.DictReader(handle))


def stored_rows(database: Path) -> int:
    """Rows the cron script stored."""
    with sqlite3.connect(database) as connection:
        (count,) = connection.execute("SELECT count(*) FROM snapshots").fetchone()
    return int(count)


def compare(tmp: Path, accounts: int, latency: str) -> None:
    """One latency: the cron script, then the bot, on the same accounts and simulator."""
    with simulator(tmp, latency) as url:
        config = tmp / "accounts.toml"
        write_config(config, url, bluesky_handles(accounts))
        env = bot_env(config, f"sqlite:///{tmp / 'bot.db'}", tmp)
        # Not timed: the bot creates its database and learns the config's accounts, as the
        # cron script's table and account list exist before its first run.
        ready = run_timed([*BOT, "accounts", "-f", "csv"], env=env, cwd=tmp, name="setup")
        if ready.code != 0:
            raise SystemExit(f"bot accounts failed: {ready.tail()}")
        cron_args = [sys.executable, __file__, "--cron", str(config), str(tmp / "cron.db")]
        cron = run_timed(cron_args, env=env, cwd=tmp, name="cron")
        if cron.code != 0:
            raise SystemExit(f"the cron script failed: {cron.tail()}")
        bot = run_timed([*BOT, "poll", "--all", "-f", "csv"], env=env, cwd=tmp, name="bot")
        if bot.code != 0:
            raise SystemExit(f"bot poll --all failed: {bot.tail()}")
    ratio = cron.seconds / bot.seconds
    target = TARGETS.get(latency)
    verdict = (
        "-" if target is None else (f">= {target:g}x " + ("met" if ratio >= target else "NOT met"))
    )
    print(
        f"{latency:>8} {accounts:>9,} {cron.seconds:8.2f} {cron.cpu_seconds:7.2f}"
        f" {stored_rows(tmp / 'cron.db'):>7,} {bot.seconds:8.2f} {bot.cpu_seconds:7.2f}"
        f" {bot_ok_rows(bot):>7,} {ratio:7.1f}x  {verdict}",
        flush=True,
    )


def main() -> None:
    """Compare at each latency and print a line per latency."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=2000, help="accounts (default 2000)")
    parser.add_argument(
        "--latency", action="append", help="simulator latency, repeatable (default 0ms and 50ms)"
    )
    parser.add_argument("--cron", nargs=2, metavar=("CONFIG", "DB"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.cron:
        stored = cron_run(Path(options.cron[0]), Path(options.cron[1]))
        print(f"{stored} rows stored")
        return
    if options.accounts < 1:
        parser.error("--accounts: expected at least 1")
    print(
        f"# bench/baseline_cron.py {datetime.now(UTC):%Y-%m-%d %H:%M} UTC,"
        f" {machine()}; Bluesky through `bot simulate`; cron = requests"
        " session, getProfile per account, INSERT+COMMIT per row; bot = `bot poll --all`"
        " (getProfiles, 25 per request); whole processes, wall seconds"
    )
    print(
        f"{'latency':>8} {'accounts':>9} {'cron s':>8} {'CPU s':>7} {'rows':>7} {'bot s':>8}"
        f" {'CPU s':>7} {'ok':>7} {'ratio':>8}  target (wall time ratio)"
    )
    for latency in options.latency or ["0ms", "50ms"]:
        with tempfile.TemporaryDirectory(prefix="bench-cron-") as name:
            compare(Path(name), options.accounts, latency)


if __name__ == "__main__":
    main()
