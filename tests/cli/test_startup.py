"""Fast start (issue 13): ``bot --help`` lists every command without importing any of them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.cli import COMMANDS, every_command

# What a command may need, but listing the commands never does.
HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "httpx",
    "aiohttp",
    "fastapi",
    "uvicorn",
    "apprise",
    "matplotlib",
    "openpyxl",
    "apscheduler",
)
# Runs ``bot ARGS`` in a fresh interpreter, then prints the heavy modules it imported.
PROBE = """
import contextlib, io, json, sys
from bot.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(HEAVY)))
print(json.dumps({"out": out.getvalue(), "heavy": heavy}))
"""


def probe(*args: str) -> dict[str, object]:
    """``bot ARGS`` in a new process: what it printed and which heavy modules it loaded."""
    code = PROBE.replace("json.loads(HEAVY)", f"json.loads({json.dumps(json.dumps(HEAVY))})")
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found: dict[str, object] = json.loads(done.stdout)
    return found


@pytest.mark.process
@pytest.mark.parametrize("args", [["--help"], ["-h"], [], ["--version"]])
def test_listing_the_commands_imports_no_heavy_library(args: list[str]) -> None:
    found = probe(*args)
    assert found["heavy"] == []
    if args != ["--version"]:
        # ``bot`` alone prints its help on stderr; the others on stdout, every command listed.
        shown = str(found["out"])
        assert all(entry.name in shown for entry in COMMANDS) or not args


@pytest.mark.process
def test_a_command_imports_what_it_needs_when_asked() -> None:
    # The probe sees imports: the database command's help loads its module, and so the store.
    assert "sqlalchemy" in probe("accounts", "--help")["heavy"]


def test_each_listed_summary_is_its_commands_own_help() -> None:
    commands = every_command()
    assert list(commands) == [entry.name for entry in COMMANDS]
    for entry in COMMANDS:
        doc = entry.load().__doc__ or ""
        assert entry.summary == doc.strip().splitlines()[0], entry.name
        assert commands[entry.name].name == entry.name
