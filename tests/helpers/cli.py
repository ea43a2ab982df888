"""Running the CLI in-process with its own environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main


@dataclass
class CliResult:
    """Exit status and output of one CLI call."""

    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    """``bot ARGS…`` in this process; SystemExit becomes the status."""
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)


def cli_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str, config: str
) -> Path:
    """``tmp_path`` as the working directory, ``config`` as its accounts file, the test database."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "accounts.toml").write_text(config)
    monkeypatch.setenv("BOT_CONFIG", str(tmp_path / "accounts.toml"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    return tmp_path
