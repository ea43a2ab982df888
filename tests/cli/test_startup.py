"""Fast start (issue 13): ``bot --help`` lists every command without importing any of them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TypedDict

import pytest

from bot.cli import COMMANDS, every_command
from tests.helpers.processes import python_output

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
    # rich's layout of help text (Typer's rich mode): the CLI prints Click's plain help.
    "markdown_it",
    "pygments",
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


class Probe(TypedDict):
    """What ``probe`` saw."""

    out: str
    heavy: list[str]


# The query commands' module (bot/cli/queries.py) still imports the store at the top, so their
# own --help loads it; every other command's help imports nothing heavy.
HELP_LOADS_THE_STORE = ("snapshots", "growth", "report", "chart")


def probe(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Probe:
    """``bot ARGS`` in a new process: what it printed and which heavy modules it loaded."""
    code = PROBE.replace("json.loads(HEAVY)", f"json.loads({json.dumps(json.dumps(HEAVY))})")
    found: Probe = json.loads(python_output(code, *args, cwd=cwd, env=env))
    return found


@pytest.mark.process
@pytest.mark.parametrize("args", [["--help"], ["-h"], ["--version"]])
def test_listing_the_commands_imports_no_heavy_library(args: list[str]) -> None:
    found = probe(*args)
    assert found["heavy"] == []
    if args == ["--version"]:
        assert found["out"].startswith("bot ")
    else:
        # The listing is whole: each command with its summary, wrapped, never cut short.
        listed = " ".join(found["out"].split())
        assert all(f"{entry.name} {entry.summary}" in listed for entry in COMMANDS)
        assert "..." not in listed.split("Commands:")[1]


@pytest.mark.process
@pytest.mark.parametrize("name", [e.name for e in COMMANDS if e.name not in HELP_LOADS_THE_STORE])
def test_a_commands_help_imports_no_heavy_library(name: str) -> None:
    found = probe(name, "--help")
    assert found["heavy"] == []
    assert f"Usage: bot {name}" in found["out"]


@pytest.mark.process
def test_running_a_command_imports_what_it_needs(tmp_path: Path) -> None:
    # The control: the probe does see a command's imports once it runs.
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"}
    env.pop("BOT_CONFIG", None)
    found = probe("accounts", "-f", "json", cwd=tmp_path, env=env)
    assert found["out"].strip() == "[]"
    assert {"sqlalchemy", "alembic"} <= set(found["heavy"])


def test_each_listed_summary_is_its_commands_own_help() -> None:
    commands = every_command()
    assert list(commands) == [entry.name for entry in COMMANDS]
    for entry in COMMANDS:
        doc = entry.load().__doc__ or ""
        assert entry.summary == doc.strip().splitlines()[0], entry.name
        assert commands[entry.name].name == entry.name


@pytest.mark.process
def test_polling_and_the_query_commands_run_on_core_without_the_orm(tmp_path: Path) -> None:
    # SQLModel, its ORM and the models cost ~0.1 s of a 0.6 s `bot poll` (bot/store/tables.py).
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"}
    env.pop("BOT_CONFIG", None)
    probe("accounts", cwd=tmp_path, env=env)  # migrated first: Alembic's scripts use SQLModel
    for args in (["poll", "--all"], ["accounts"], ["growth", "--period", "7d"]):
        found = probe(*args, "-f", "json", cwd=tmp_path, env=env)
        assert "sqlalchemy" in found["heavy"] and "sqlmodel" not in found["heavy"], args
    # The control: a command that reads through the ORM does show it.
    assert "sqlmodel" in probe("status", cwd=tmp_path, env=env)["heavy"]
