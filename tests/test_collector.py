"""Only a process that is one command freezes its heap (in a fresh interpreter each time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.collector import YOUNG_THRESHOLD
from tests.helpers.processes import bot, environment

pytestmark = pytest.mark.process

PROBE = """
import gc, json, sys
from bot.collector import own_process, settle
start = gc.get_threshold()
if sys.argv[1] == "owned":
    own_process()
before = gc.get_threshold()
settled = settle()
after = gc.get_threshold()
frozen = gc.get_freeze_count()
print(json.dumps(
    {"frozen": frozen, "start": start, "before": before, "after": after, "settled": settled}
))
"""


def _probe(mode: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60, check=True
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_a_command_process_freezes_what_start_up_built() -> None:
    seen = _probe("owned")
    assert isinstance(seen["frozen"], int) and seen["frozen"] > 1000
    # Young collections are made rarer as soon as the process says it is a command, before
    # the imports of its start-up, and stay so.
    young = [YOUNG_THRESHOLD, *seen["start"][1:]]  # type: ignore[index]
    assert seen["start"] != young
    assert seen["before"] == seen["after"] == young
    assert seen["settled"] is True


def test_a_shared_process_is_left_as_it_is() -> None:
    # Tests run many commands in one process: freezing would keep every command's engine.
    seen = _probe("shared")
    assert seen["frozen"] == 0
    assert seen["start"] == seen["before"] == seen["after"]
    assert seen["settled"] is False


def test_a_command_leaves_no_sqlite_wal_behind(tmp_path: Path) -> None:
    # The frozen pool's connections are closed at exit: SQLite merges its WAL into the database
    # file and removes it, as when the pool was collected.
    (tmp_path / "accounts.toml").write_text(
        '[[accounts]]\nplatform = "bluesky"\nhandle = "a.bsky.social"\n'
    )
    env = environment(tmp_path, f"sqlite:///{tmp_path / 'bot.db'}")
    for _ in range(2):
        done = subprocess.run(
            bot("accounts", "-f", "csv"),
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "a.bsky.social" in done.stdout
        assert sorted(p.name for p in tmp_path.glob("bot.db*")) == ["bot.db"]
