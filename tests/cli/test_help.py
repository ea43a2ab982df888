"""What people notice first: `bot --version`, `-h` everywhere, no `<bool>` in help, the licence."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot import __version__
from bot.cli import COMMANDS
from tests.helpers.cli import run_cli

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_prints_the_package_version(
    capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    result = run_cli(capsys, flag)
    assert result.code == 0
    assert result.out == f"bot {__version__}\n"


@pytest.mark.parametrize("name", ["", *(entry.name for entry in COMMANDS)])
def test_dash_h_is_help_everywhere_and_flags_show_no_type(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    words = [name] if name else []
    short = run_cli(capsys, *words, "-h")
    assert short.code == 0, short.err
    assert "Usage:" in short.out and "--help" in short.out
    assert "<bool>" not in short.out
    assert short.out == run_cli(capsys, *words, "--help").out


def test_the_version_has_one_source_and_the_licence_is_spdx() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    # A string, not a table: setuptools 77+ warns on every install about `license = {text=…}`.
    assert project["project"]["license"] == "MIT"
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "bot.__version__"}
    assert any(r.startswith("setuptools>=77") for r in project["build-system"]["requires"])


def test_bot_alone_prints_its_help_where_help_goes(capsys: pytest.CaptureFixture[str]) -> None:
    # On stdout (a pager, a file), with the usage error's status.
    result = run_cli(capsys)
    assert result.code == 2
    assert result.out.startswith("Usage: bot") and "Commands:" in result.out
    assert result.err == ""
