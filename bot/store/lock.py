"""One daemon per SQLite file: an advisory lock the kernel drops if the process dies."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine

from bot.errors import AlreadyRunningError


@contextlib.contextmanager
def daemon_lock(engine: Engine) -> Iterator[None]:
    """Hold ``<database>.lock`` beside the real file while the daemon runs; PostgreSQL needs none.

    The lock is keyed on the file's real path: a symlink or another spelling of the same file
    must find the lock taken, or a second daemon would release the first one's leases.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    path = Path(os.path.realpath(database) + ".lock")
    handle = path.open("a+", encoding="ascii")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise AlreadyRunningError(
                f"another `bot run` already uses {database} (pid {holder}); stop it first, "
                "or use PostgreSQL to run several workers"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()
