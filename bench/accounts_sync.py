"""Accounts in the database at 100k: the config's declared set synced, and a CSV imported.

Prints, for SQLite and PostgreSQL: the sync of 100,000 ``[[accounts]]`` the first time, again
unchanged, and with one label changed (in process, after the settings are loaded; loading the
TOML is timed on its own); then whole ``bot`` processes on that database (wall time and peak
RSS): a command on the unchanged 100k config (``bot accounts pause``, which lists nothing),
``bot accounts`` itself (the listing of 100k rows included), the command again with one label
changed in the file; then ``bot accounts import`` of a 100,000-row CSV into a fresh database
whose config declares none, the same file again, and a command on those 100k accounts.

    .venv/bin/python bench/accounts_sync.py [N]
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import databases
from sqlalchemy import Engine

from bot.config import load_settings
from bot.store.declared import sync_declared

ROOT = Path(__file__).parents[1]
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def write_config(path: Path, count: int) -> None:
    """``count`` Bluesky accounts, each with a label and a group."""
    lines = ['[bot]\npoll_interval = "6h"\n']
    for i in range(count):
        lines.append(
            f'[[accounts]]\nplatform = "bluesky"\nhandle = "u{i}.bsky.social"\n'
            f'label = "Account {i}"\ngroups = ["g{i % 10}"]\n'
        )
    path.write_text("".join(lines), encoding="utf-8")


def write_csv(path: Path, count: int) -> None:
    """``count`` rows of platform,handle,label,groups,interval."""
    rows = ["platform,handle,label,groups,interval\n"]
    rows += [
        f"bluesky,c{i}.bsky.social,Imported {i},g{i % 10}|all,{1 + i % 12}h\n" for i in range(count)
    ]
    path.write_text("".join(rows), encoding="utf-8")


def timed(label: str, action: object) -> object:
    """Run ``action()`` and print its wall and CPU time (the machine may be shared)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = action()  # type: ignore[operator]
    wall, used = time.perf_counter() - start, time.process_time() - cpu
    print(f"  {label:<44} {wall:7.2f} s wall {used:6.2f} s CPU", flush=True)
    return result


def in_process(engine: Engine, config: Path) -> None:
    """The sync alone: first time, unchanged, one label changed."""
    settings = timed(
        "load_settings (TOML parse + checks)", lambda: load_settings(config, environ={})
    )
    assert not isinstance(settings, type(None))

    def sync(chosen: object) -> object:
        with engine.begin() as connection:
            return sync_declared(connection, chosen, NOW)  # type: ignore[arg-type]

    print(f"    -> {timed('sync, first time (all inserted)', lambda: sync(settings))}")
    print(f"    -> {timed('sync, unchanged', lambda: sync(settings))}")
    accounts = list(settings.accounts)  # type: ignore[attr-defined]
    accounts[len(accounts) // 2] = dataclasses.replace(accounts[len(accounts) // 2], label="New")
    changed = dataclasses.replace(settings, accounts=tuple(accounts))  # type: ignore[type-var]
    print(f"    -> {timed('sync, one label changed', lambda: sync(changed))}")


# The child reports its own peak RSS (VmHWM: ru_maxrss would count the forked parent's pages)
# and CPU time on the way out, whatever its exit status.
_WRAPPER = (
    "import atexit, resource, runpy, sys\n"
    "def report():\n"
    "    u = resource.getrusage(resource.RUSAGE_SELF)\n"
    "    hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')]\n"
    "    print(f'PEAK_KB={hwm[0]} CPU={u.ru_utime + u.ru_stime}', file=sys.stderr)\n"
    "atexit.register(report)\n"
    "sys.argv = ['bot', *sys.argv[1:]]\n"
    "runpy.run_module('bot', run_name='__main__')\n"
)


def process(label: str, args: list[str], env: dict[str, str]) -> None:
    """One whole ``python -m bot`` process: wall time, peak RSS, and its last line of output."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *args], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    errors = [line for line in done.stderr.splitlines() if not line.startswith("PEAK_KB=")]
    report = [line for line in done.stderr.splitlines() if line.startswith("PEAK_KB=")]
    peak, cpu = (float(p.split("=")[1]) for p in report[0].split()) if report else (0.0, 0.0)
    last = (done.stdout.strip().splitlines() or errors or [""])[-1][:60]
    print(
        f"  {label:<44} {seconds:7.2f} s wall {cpu:6.2f} s CPU {peak / 1024:5.0f} MB peak  {last}",
        flush=True,
    )
    if done.returncode:
        print(f"    exit {done.returncode}: {' / '.join(errors)[:300]}")


def main() -> None:
    """Both databases, in process then whole processes."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        config, empty, csv = Path(tmp) / "big.toml", Path(tmp) / "none.toml", Path(tmp) / "a.csv"
        write_config(config, count)
        empty.write_text('[bot]\npoll_interval = "6h"\n', encoding="utf-8")
        write_csv(csv, count)
        with databases() as engines:
            for name, engine in engines:
                print(f"{name}, {count:,} accounts in the config file", flush=True)
                in_process(engine, config)
                big = {**_env(engine), "BOT_CONFIG": str(config)}
                pause = ["accounts", "pause", "bluesky:u1.bsky.social"]
                process("bot accounts pause, config unchanged", pause, big)
                process("bot accounts -f csv (the listing too)", ["accounts", "-f", "csv"], big)
                text = config.read_text(encoding="utf-8")
                config.write_text(text.replace('"Account 7"', '"Renamed"'), encoding="utf-8")
                process("bot accounts pause, one label changed", pause, big)
                config.write_text(text, encoding="utf-8")
        with databases() as engines:  # fresh ones: accounts only in the database
            for name, engine in engines:
                print(f"{name}, {count:,} accounts imported, none in the config file", flush=True)
                none = {**_env(engine), "BOT_CONFIG": str(empty)}
                process("bot accounts import FILE", ["accounts", "import", str(csv)], none)
                process("the same file again (all updated)", ["accounts", "import", str(csv)], none)
                pause = ["accounts", "pause", "bluesky:c1.bsky.social"]
                process("bot accounts pause", pause, none)


def _env(engine: Engine) -> dict[str, str]:
    """The environment of a ``bot`` process on ``engine``'s database."""
    url = engine.url.render_as_string(hide_password=False)
    return {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}


if __name__ == "__main__":
    main()
