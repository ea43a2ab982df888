"""The scale run: N Bluesky accounts (default 100,000), each command a whole process, timed.

`bot simulate` runs as its own process on 127.0.0.1 (25 profiles per getProfiles request, its
Bluesky budget raised, and the bot's in the config, so nothing waits). Every command is a fresh
`python -m bot` process: wall time and its own peak RSS, beside the target of issue 13.

    .venv/bin/python bench/scale.py                      # 100,000 accounts, SQLite
    .venv/bin/python bench/scale.py --accounts 10000 --postgres
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from _processes import (
    BOT,
    ROOT,
    Timed,
    bluesky_handles,
    bot_env,
    machine,
    megabytes,
    postgres_url,
    run_timed,
    simulator,
    write_config,
)


@dataclass(frozen=True)
class Step:
    """One command of the run and the issue's target for it."""

    name: str
    args: tuple[str, ...]
    target: str
    rows: bool = False  # its output is CSV with a row per account: count them


def steps(fmt: str, year: int) -> list[Step]:
    """The commands, in order: each needs what the ones before it stored."""
    f = ("-f", fmt)
    return [
        Step("bot --help", ("--help",), "<= 0.3 s"),
        Step("bot accounts (first: creates the database)", ("accounts", *f), "-", True),
        Step("bot accounts (config unchanged)", ("accounts", *f), "<= 2 s", True),
        Step("bot poll --all (first cycle)", ("poll", "--all", *f), "<= 30 s", True),
        Step("bot poll --all (steady cycle)", ("poll", "--all", *f), "<= 10 s, <= 250 MB", True),
        Step(
            "bot growth --period 1d (2 snapshots each)",
            ("growth", "--period", "1d", *f),
            "<= 3 s",
            True,
        ),
        Step(f"bot report --year {year}", ("report", "--year", str(year), *f), "-"),
        Step("bot digest (printed, not sent)", ("digest",), "-"),
    ]


def counted(timed: Timed, step: Step) -> str:
    """What the output says: rows, and for a poll how many came back ok."""
    if timed.code == -9:
        return "killed at --timeout: the figure is a lower bound"
    if timed.code != 0:
        return f"exit {timed.code}: {timed.tail()}"
    if not step.rows or step.args[-1] != "csv":
        return "ok"
    with timed.stdout.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    outcomes = [r.get("outcome", r.get("Outcome", "")) for r in rows]
    if step.args[0] == "poll":
        return f"{sum(o == 'ok' for o in outcomes):,} ok of {len(rows):,} rows"
    return f"{len(rows):,} rows"


@contextmanager
def database(postgres: bool, tmp: Path) -> Iterator[str]:
    """A fresh database URL: a SQLite file in ``tmp``, or a throwaway PostgreSQL schema."""
    if postgres:
        with postgres_url() as url:
            yield url
    else:
        yield f"sqlite:///{tmp / 'bot.db'}"


def commit() -> str:
    """The tree measured: its commit, or 'unknown' outside git."""
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return done.stdout.strip()


def main() -> None:
    """Run every step and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000, help="accounts (default 100000)")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL at TEST_POSTGRES_URL")
    parser.add_argument("--format", default="csv", choices=("csv", "table", "json"))
    parser.add_argument("--latency", default="0ms", help="the simulator's latency (bot simulate)")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=("help", "accounts", "poll", "growth", "report", "digest"),
        help="leave out a command (repeatable; a later one may need what it stores)",
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds before a command is killed"
    )
    options = parser.parse_args()
    if options.accounts < 1:
        parser.error("--accounts: expected at least 1")
    now = datetime.now(UTC)
    engine = "PostgreSQL" if options.postgres else "SQLite"
    print(
        f"# bench/scale.py {now:%Y-%m-%d %H:%M} UTC, commit {commit()},"
        f" {machine()}; {options.accounts:,} Bluesky accounts, {engine},"
        f" output -f {options.format}, simulator latency {options.latency}"
    )
    print(
        "# steady cycle = a second `bot poll --all` (it polls every account whatever"
        " next_poll_at says; the CLI reads the system clock and has no override)"
    )
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as name:
        tmp = Path(name)
        with simulator(tmp, options.latency) as url, database(options.postgres, tmp) as db:
            config = tmp / "accounts.toml"
            write_config(config, url, bluesky_handles(options.accounts))
            print(f"# config {megabytes(config):.1f} MB, simulator {url}")
            header = (
                f"{'command':44} {'seconds':>8} {'CPU s':>7} {'peak RSS MB':>11}"
                f"  {'target':18} output"
            )
            print(header)
            print("-" * len(header))
            env = bot_env(config, db, tmp)
            for index, step in enumerate(steps(options.format, now.year)):
                if step.args[0].lstrip("-") in options.skip:
                    continue
                timed = run_timed(
                    [*BOT, *step.args],
                    env=env,
                    cwd=tmp,
                    name=f"step{index}",
                    timeout=options.timeout,
                )
                print(
                    f"{step.name:44} {timed.seconds:8.2f} {timed.cpu_seconds:7.2f}"
                    f" {timed.peak_rss_mb:11.0f}  "
                    f"{step.target:18} {counted(timed, step)}",
                    flush=True,
                )
            if not options.postgres:
                print(f"# database {megabytes(tmp / 'bot.db'):.1f} MB (SQLite file and WAL)")


if __name__ == "__main__":
    main()
