"""Whole-process benchmarks: `bot simulate` as its own process, commands timed with peak RSS.

Only the public command line and the config file format are used, so the scripts built on this
measure any tree the same way (an older release, or main after a change).
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BOT = (sys.executable, "-m", "bot")
# This tree first on the children's path, whatever the interpreter has installed.
ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# The simulator's budget per window and the bot's per second: far above any run, nothing waits.
SIM_BUDGET = 10**12
BOT_RATE = "1000000/1s"  # the config's maximum
START_TIMEOUT = 60.0
TIME = Path("/usr/bin/time")  # GNU time, where present: peak RSS of the command alone


@dataclass(frozen=True)
class Timed:
    """One finished process: wall and CPU seconds, peak resident memory, exit status, output."""

    seconds: float
    cpu_seconds: float  # user + system: what a busy, shared machine inflates least
    peak_rss_mb: float
    code: int
    stdout: Path
    stderr: Path

    def tail(self, lines: int = 3) -> str:
        """The last lines of its stderr (what went wrong, when it did)."""
        text = self.stderr.read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:])


def run_timed(
    args: Sequence[str], *, env: dict[str, str], cwd: Path, name: str, timeout: float = 3600
) -> Timed:
    """Run ``args`` as a fresh process: its wall time, CPU time and its own peak RSS."""
    stdout, stderr, usage_file = (cwd / f"{name}.{suffix}" for suffix in ("out", "err", "usage"))
    # Linux counts a child's peak RSS from before its exec too, when it still shares or copies
    # this process's memory: measured by GNU time (a small C parent), it is the child's alone.
    timer = [TIME, "-f", "%e %U %S %M", "-o", str(usage_file)] if TIME.exists() else []
    usage_file.unlink(missing_ok=True)
    with stdout.open("wb") as out, stderr.open("wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            [*timer, *args], stdout=out, stderr=err, env=env, cwd=cwd, start_new_session=True
        )
        killer = threading.Timer(timeout, os.killpg, (process.pid, signal.SIGKILL))
        killer.start()
        try:
            # wait4: this child's own rusage (RUSAGE_CHILDREN would be the largest so far).
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    # Without GNU time: wait4's figures (kilobytes on Linux), the peak RSS at least this one's.
    cpu, rss_kb = usage.ru_utime + usage.ru_stime, float(usage.ru_maxrss)
    if timer and usage_file.exists():
        # The last line: GNU time first says "Command exited with non-zero status N" or the like.
        lines = [line for line in usage_file.read_text().split("\n") if line.strip()]
        fields = lines[-1].split() if lines else []
        if len(fields) == 4:
            cpu, rss_kb = float(fields[1]) + float(fields[2]), float(fields[3])
    return Timed(seconds, cpu, rss_kb / 1024, process.returncode, stdout, stderr)


def machine() -> str:
    """This machine's CPUs, load and speed, for a figure's header line.

    The speed is a pure-Python reference (ten million additions, best of three): machines of the
    same kind differ by 3x and more between sessions, and figures from two of them compare only
    beside it.
    """
    load = os.getloadavg()[0]  # before the loop's own load
    best = min(_reference_loop() for _ in range(3))
    return f"{os.cpu_count()} CPUs, load {load:.1f}, reference loop {best:.2f} s"


def server_cpu() -> float | None:
    """CPU seconds used so far by every PostgreSQL process on this machine (Linux's /proc), or
    None where they cannot be read: the bench's server is on loopback, so its share shows."""
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return None
    total = 0.0
    for pid in pids:
        name, seconds = _stat(pid)
        if name.startswith("postgres") and seconds is not None:
            total += seconds
    return total or None


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by one process (Linux's /proc), or None."""
    return _stat(pid)[1]


def _stat(pid: int) -> tuple[str, float | None]:
    """A process's name and CPU seconds from /proc/PID/stat ("", None: gone or unreadable)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "", None
    # The name sits in parentheses and may hold spaces; the fields after it are numbered from 3.
    name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :]
    user, system = fields.split()[11:13]
    return name, (int(user) + int(system)) / os.sysconf("SC_CLK_TCK")


def _reference_loop() -> float:
    """Seconds for ten million additions in a Python loop."""
    start = time.perf_counter()
    total = 0
    for number in range(10_000_000):
        total += number
    return time.perf_counter() - start


def bot_env(config: Path, database_url: str, home: Path) -> dict[str, str]:
    """The environment of a ``bot`` child: its config and database, no notifier."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "BOT_CONFIG": str(config),
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
    }


def write_config(path: Path, base_url: str, handles: Sequence[str]) -> None:
    """A config with ``handles`` on Bluesky, pointed at the simulator with budgets raised."""
    head = f"""[bot]
timezone = "UTC"
poll_interval = "6h"

[platforms.bluesky]
base_url = "{base_url}"
allow_private_addresses = true
rate_limit = "{BOT_RATE}"
"""
    accounts = "".join(f'\n[[accounts]]\nplatform = "bluesky"\nhandle = "{h}"\n' for h in handles)
    path.write_text(head + accounts)


def bluesky_handles(count: int) -> list[str]:
    """``count`` distinct simulated Bluesky handles."""
    return [f"user{i}.bsky.social" for i in range(count)]


@contextmanager
def simulator(cwd: Path, latency: str = "0ms") -> Iterator[str]:
    """`bot simulate` as its own process, Bluesky's budget raised; yields its base URL."""
    args = [*BOT, "simulate", "--port", "0", "--latency", latency]
    args += ["--budget", f"bluesky={SIM_BUDGET}"]
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    log = (cwd / "simulator.err").open("wb")
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=log, text=True, env=env, cwd=cwd
    )
    lines: queue.Queue[str] = queue.Queue()
    # A thread reads the one line it prints (no select() on a buffered pipe), then drains it.
    assert process.stdout is not None
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    try:
        try:
            line = lines.get(timeout=START_TIMEOUT)
        except queue.Empty:
            said = _read(cwd / "simulator.err")
            raise SystemExit(f"bot simulate did not start: {said}") from None
        if "simulator on " not in line:
            raise SystemExit(f"bot simulate said {line!r}: {_read(cwd / 'simulator.err')}")
        yield line.split("simulator on ", 1)[1].split()[0]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _pump(stream: object, lines: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        lines.put(line)


def _read(path: Path) -> str:
    return path.read_text(errors="replace").strip()[-500:]


@contextmanager
def postgres_url() -> Iterator[str]:
    """A throwaway schema at ``TEST_POSTGRES_URL``, dropped afterwards; yields its URL."""
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield f"{PG_URL}?options=-csearch_path%3D{schema}"
        finally:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def megabytes(path: Path) -> float:
    """A file's size in MB (a SQLite database, with its WAL)."""
    files = [path, path.with_name(path.name + "-wal")]
    return sum(f.stat().st_size for f in files if f.exists()) / 1e6
