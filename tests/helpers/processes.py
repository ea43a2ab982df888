"""Real child processes: their output is read by threads into queues, never with ``select()``.

``select()`` on a pipe and a buffered ``readline()`` disagree: when a child writes several lines
at once, the later ones sit in Python's buffer where ``select()`` cannot see them, and a test waits
for a line it has already received. One thread per stream reading to the end avoids that, and
keeps the pipe drained so a chatty child never blocks on a full pipe.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

TIMEOUT = 30.0
_EOF = None


def bot(*args: str) -> list[str]:
    """The command line of ``python -m bot ARGS``."""
    return [sys.executable, "-m", "bot", *args]


def python_output(
    code: str, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> str:
    """What ``python -c CODE ARGS`` printed in a fresh interpreter, which must succeed."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=cwd,
        env=env,
    )
    return done.stdout


def environment(tmp_path: Path, database_url: str) -> dict[str, str]:
    """A minimal environment for a ``bot`` child: its config and database, nothing inherited."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": database_url,
        "BOT_CONFIG": str(tmp_path / "accounts.toml"),
        "HOME": str(tmp_path),
    }


class Lines:
    """One stream of a child, read line by line by a daemon thread."""

    def __init__(self, stream: IO[str]) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._ended = False
        self.seen: list[str] = []
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        try:
            for line in iter(stream.readline, ""):
                self._queue.put(line)
        except (OSError, ValueError):
            pass  # the pipe was closed under us: the child is gone
        finally:
            self._queue.put(_EOF)

    def wait_for(self, needle: str, timeout: float = TIMEOUT) -> str:
        """The next line containing ``needle``; AssertionError at EOF or after ``timeout``."""
        deadline = time.monotonic() + timeout
        while not self._ended:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is _EOF:
                self._ended = True
                break
            self.seen.append(line)
            if needle in line:
                return line
        raise AssertionError(f"{needle!r} not seen; got: {''.join(self.seen)[-2000:]}")

    def rest(self, timeout: float = TIMEOUT) -> str:
        """Everything not yet consumed, up to EOF (call once the child has exited)."""
        self._thread.join(timeout)
        lines = []
        while not self._ended:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                break
            if line is _EOF:
                self._ended = True
            else:
                lines.append(line)
        self.seen += lines
        return "".join(lines)


_READERS: weakref.WeakKeyDictionary[subprocess.Popen[str], dict[str, Lines]] = (
    weakref.WeakKeyDictionary()
)


def lines_of(process: subprocess.Popen[str], stream_name: str) -> Lines:
    """The reader of one stream of ``process`` (``"stdout"`` or ``"stderr"``), made on first use."""
    readers = _READERS.setdefault(process, {})
    if stream_name not in readers:
        stream = getattr(process, stream_name)
        assert stream is not None, f"{stream_name} is not a pipe"
        readers[stream_name] = Lines(stream)
    return readers[stream_name]


def read_line_with(process: subprocess.Popen[str], stream_name: str, needle: str) -> str:
    """Read the process's lines until one contains ``needle`` (bounded by TIMEOUT)."""
    return lines_of(process, stream_name).wait_for(needle)


def rest_of(process: subprocess.Popen[str], stream_name: str) -> str:
    """What ``process`` wrote to the stream after the lines already read (once it has exited)."""
    return lines_of(process, stream_name).rest()


@contextmanager
def simulate(tmp_path: Path, *args: str, stop: int = signal.SIGTERM) -> Iterator[str]:
    """`bot simulate --port 0 ARGS…` in a subprocess; yields its start line; it must exit 0."""
    process = subprocess.Popen(
        bot("simulate", "--port", "0", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield read_line_with(process, "stdout", "simulator on ")
    finally:
        process.send_signal(stop)
        process.wait(timeout=TIMEOUT)
    assert process.returncode == 0


def simulator_url(line: str) -> str:
    """The base URL in `bot simulate`'s start line."""
    return line.split("simulator on ", 1)[1].split()[0]
