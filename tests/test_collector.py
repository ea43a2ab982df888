"""Only a process that is one command freezes its heap (in a fresh interpreter each time)."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest

from bot import __version__
from bot.collector import YOUNG_THRESHOLD
from tests.helpers.processes import bot, environment, python_output

pytestmark = pytest.mark.process

PROBE = """
import gc, json, sys
from bot.collector import own_process, settle
start = gc.get_threshold()
if sys.argv[1] == "owned":
    own_process()
before, collecting = gc.get_threshold(), gc.isenabled()
settled = settle()
after = gc.get_threshold()
print(json.dumps({
    "frozen": gc.get_freeze_count(), "start": start, "before": before, "after": after,
    "settled": settled, "collecting": [collecting, gc.isenabled()],
}))
"""

# ``python -m bot`` (or the console script's ``bot.entry.run``) with a spy on the collector:
# which libraries were loaded when the process said it was one command, and whether anything
# collects during a command that never settles (``--version``).
ENTRY = """
import gc, json, runpy, sys
import bot.collector
seen = {}
real = bot.collector.own_process
def spy():
    seen["loaded"] = sorted(m for m in ("bot.cli", "typer", "sqlalchemy") if m in sys.modules)
    real()
bot.collector.own_process = spy
how, sys.argv = sys.argv[1], ["bot", "--version"]
try:
    if how == "script":
        from bot.entry import run
        run()
    else:
        runpy.run_module("bot", run_name="__main__")
except SystemExit:
    pass
print(json.dumps({**seen, "collecting": gc.isenabled()}))
"""

# ``bot.cli.run``, which a ``bot`` script installed before ``bot.entry`` still calls.
LEGACY = """
import gc, sys
sys.argv = ["bot", "--version"]
from bot.cli import run
try:
    run()
except SystemExit:
    pass
print(gc.isenabled())
"""

# A command that runs on settles before it does: what it runs (the simulator's serve_forever,
# the demo's run_demo, check's requests) is replaced by one that reports whether the collector
# runs by then, and ends the process there.
RUNS_ON = """
import gc, json, os, sys
import bot.cli.check, bot.demo, bot.simulator
from bot.collector import own_process
async def report(*args, **kwargs):
    print(json.dumps({"collecting": gc.isenabled(), "frozen": gc.get_freeze_count() > 1000}))
    sys.stdout.flush()
    os._exit(0)
bot.simulator.serve_forever = bot.demo.run_demo = bot.cli.check._platform_rows = report
own_process()
from bot.cli import main
args = {
    "simulate": ["--port", "0"], "demo": ["--database-url", "sqlite://"], "check": ["--offline"]
}[sys.argv[1]]
main([sys.argv[1], *args])
"""


def _probe(mode: str, probe: str = PROBE, cwd: Path | None = None) -> dict[str, object]:
    env = None if cwd is None else environment(cwd, f"sqlite:///{cwd / 'bot.db'}")
    output = python_output(probe, mode, cwd=cwd, env=env)
    result: dict[str, object] = json.loads(output.splitlines()[-1])
    return result


def test_a_command_collects_nothing_until_it_settles_then_skips_what_start_up_built() -> None:
    seen = _probe("owned")
    assert isinstance(seen["frozen"], int) and seen["frozen"] > 1000
    # No collection from the moment the process says it is a command (before the imports of
    # its start-up) until it settles; then young collections at the raised threshold.
    assert seen["collecting"] == [False, True]
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
    assert seen["collecting"] == [True, True]


@pytest.mark.parametrize("how", ["module", "script"])
def test_the_entry_point_tells_the_collector_before_the_command_line_is_imported(
    how: str,
) -> None:
    # ``python -m bot`` and the console script alike.
    seen = _probe(how, ENTRY)
    assert seen["loaded"] == []
    # --version ends without settling: nothing was collected in its whole (short) life.
    assert seen["collecting"] is False


def test_the_console_script_is_the_entry_point() -> None:
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert project["project"]["scripts"] == {"bot": "bot.entry:run"}


@pytest.mark.parametrize("command", ["simulate", "demo", "check"])
def test_a_command_that_runs_on_collects_again_before_it_runs(command: str, tmp_path: Path) -> None:
    # Left without collections, a simulator serving for a day would grow for good.
    (tmp_path / "accounts.toml").write_text(
        '[[accounts]]\nplatform = "bluesky"\nhandle = "a.bsky.social"\n'
    )
    seen = _probe(command, RUNS_ON, cwd=tmp_path)
    assert seen == {"collecting": True, "frozen": True}


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


def test_a_bot_script_installed_before_the_entry_point_still_runs() -> None:
    # Its script imports ``bot.cli.run``: the command runs, told to the collector (later).
    version, collecting = python_output(LEGACY).splitlines()
    assert version == f"bot {__version__}"
    assert collecting == "False"
