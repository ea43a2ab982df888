"""Text from platforms, files and the config is data: printed literally, secrets masked.

A loopback server plays X: it answers with words no terminal, table or spreadsheet should
obey (Rich markup, escape sequences, a carriage return, a bidi override) and echoes the token.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli

TOKEN = "x-echoed-secret-token-4242"
# What a hostile or unlucky platform puts in an error: markup, a screen clear, a hyperlink
# escape, a carriage return that rewrites the line, a right-to-left override.
HOSTILE = (
    "Could not find user with usernames: [missing_dgsn] [/bold] "
    "\x1b[2J\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\ \rfake \u202eevil"
)
RAW = ("\x1b", "\r", "\u202e", "\x07")
LABEL = "DGSN [archive] [/bold] المديرية العامة للأمن الوطني"


class Platform:
    """What the fake X answers next: a missing account, or a refusal echoing the token."""

    def __init__(self) -> None:
        self.mode = "missing"

    def answer(self, authorization: str) -> tuple[int, dict[str, object]]:
        """The status and JSON body for one ``/2/users/by`` request."""
        token = authorization.removeprefix("Bearer ")
        if self.mode == "missing":
            detail = f"{HOSTILE} (token {token})"
            error = {"value": "missing_dgsn", "detail": detail, "title": "Not Found Error"}
            return 200, {"errors": [error]}
        return 400, {"title": "Invalid Request", "detail": f"bad token {token} [/red]\x1b[31m"}


@pytest.fixture
def platform() -> Iterator[tuple[Platform, str]]:
    """The fake X on a free loopback port, and its base URL."""
    state = Platform()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = state.answer(self.headers.get("Authorization", ""))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test reads the bot's output, not the server's."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def write_config(path: Path, base_url: str) -> Path:
    """An X account the fake platform says is missing, with a bracketed Arabic label."""
    path.write_text(
        f'[platforms.x]\nbase_url = "{base_url}"\nallow_private_addresses = true\n\n'
        "[[accounts]]\n"
        'platform = "x"\nhandle = "missing_dgsn"\n'
        f'label = "{LABEL}"\ngroups = ["[/bold] team [archive]"]\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    platform: tuple[Platform, str],
) -> Path:
    """A working directory whose config points X at the fake platform."""
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path / "accounts.toml", platform[1])
    monkeypatch.setenv("BOT_CONFIG", str(config))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    return tmp_path


def assert_literal(text: str) -> None:
    """No raw control or override character reached the output; no secret either."""
    assert not [c for c in RAW if c in text], repr(text)
    assert TOKEN not in text


def test_platform_words_are_printed_literally_in_every_table(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    poll = run_cli(capsys, "poll", "x:missing_dgsn")
    assert poll.code == 1, poll.err  # the only attempt failed
    for command in (("poll", "x:missing_dgsn"), ("accounts",), ("status",)):
        result = run_cli(capsys, *command)
        shown = " ".join(result.out.split())
        assert "[missing_dgsn] [/bold]" in shown, (command, result.out)
        assert "\\x1b[2J" in shown, (command, result.out)  # made visible, not obeyed
        assert "\\u202eevil" in shown, (command, result.out)
        assert_literal(result.out + result.err)
    accounts = run_cli(capsys, "accounts")
    assert "DGSN [archive] [/bold]" in " ".join(accounts.out.split())


def test_brackets_in_labels_and_groups_survive_growth_and_report(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (env / "seed.csv").write_text(
        "platform,handle,captured_at,followers,following,posts\n"
        "x,missing_dgsn,2020-12-31,226481,,\nx,missing_dgsn,2021-12-31,317074,,\n",
        encoding="utf-8",
    )
    assert run_cli(capsys, "import", "seed.csv").code == 0
    report = run_cli(capsys, "report", "--year", "2021")
    assert report.code == 0, report.err
    assert "[/bold] team [archive]" in report.out
    growth = run_cli(capsys, "growth", "--period", "365d", "--at", "2021-12-31")
    assert growth.code == 0, growth.err
    assert "+40.00%" in growth.out
    text = run_cli(capsys, "report", "--year", "2021", "-f", "text")
    assert LABEL in text.out


def test_a_token_echoed_by_the_platform_is_never_printed(
    env: Path, capsys: pytest.CaptureFixture[str], platform: tuple[Platform, str]
) -> None:
    for mode in ("missing", "refused"):
        platform[0].mode = mode
        for fmt in ("table", "json", "csv"):
            result = run_cli(capsys, "poll", "x:missing_dgsn", "-f", fmt)
            assert result.code == 1
            assert TOKEN not in result.out + result.err, (mode, fmt)
            assert "[REDACTED]" in result.out, (mode, fmt, result.out)
        for command in ("accounts", "status"):
            result = run_cli(capsys, command, "-f", "json")
            assert TOKEN not in result.out + result.err, (mode, command)


@pytest.mark.process
def test_bot_poll_logs_are_redacted_and_literal(
    tmp_path: Path, platform: tuple[Platform, str]
) -> None:
    platform[0].mode = "refused"
    config = write_config(tmp_path / "accounts.toml", platform[1])
    done = subprocess.run(
        [sys.executable, "-m", "bot", "poll", "x:missing_dgsn", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
            "X_BEARER_TOKEN": TOKEN,
        },
    )
    assert done.returncode == 1, done.stderr
    assert "bad token" in done.stderr  # the warning is logged...
    assert_literal(done.stdout + done.stderr)  # ...redacted, without its escape sequence


def test_csv_cells_cannot_start_a_formula(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (env / "formula.toml").write_text(
        '[[accounts]]\nplatform = "telegram"\nhandle = "@example_channel"\n'
        'label = "=HYPERLINK(\\"http://evil.example\\",\\"open\\")"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("BOT_CONFIG", str(env / "formula.toml"))
    (env / "seed.csv").write_text(
        "platform,handle,captured_at,followers,following,posts\n"
        "telegram,@example_channel,2021-12-31,48213,,\n",
        encoding="utf-8",
    )
    assert run_cli(capsys, "import", "seed.csv").code == 0
    accounts = list(csv.DictReader(io.StringIO(run_cli(capsys, "accounts", "-f", "csv").out)))
    assert accounts[0]["label"] == '\'=HYPERLINK("http://evil.example","open")'
    assert accounts[0]["handle"] == "'@example_channel"
    assert run_cli(capsys, "export", "--output", "all.csv").code == 0
    exported = list(csv.DictReader(io.StringIO((env / "all.csv").read_text(encoding="utf-8"))))
    assert exported[0]["handle"] == "'@example_channel"
    # The quote is the export's own: importing the file back finds the same snapshot.
    again = run_cli(capsys, "import", "all.csv")
    assert "0 snapshots added, 1 already stored" in again.out, again.out + again.err


SEED_LABEL = "DGSN [archive] المديرية العامة للأمن الوطني"


def test_the_seed_label_survives_every_format(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11: a bracketed Arabic label in table, csv, json, text, markdown, HTML and PNG."""
    (env / "seed.toml").write_text(
        f'[bot]\ntimezone = "Africa/Casablanca"\n\n[[accounts]]\nplatform = "x"\n'
        f'handle = "DGSN_MAROC"\nlabel = "{SEED_LABEL}"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("BOT_CONFIG", str(env / "seed.toml"))
    (env / "seed.csv").write_text(
        "platform,handle,captured_at,followers,following,posts\n"
        "x,DGSN_MAROC,2020-12-31,226481,,\nx,DGSN_MAROC,2021-12-30,317000,,\n"
        "x,DGSN_MAROC,2021-12-31,317074,,\n",
        encoding="utf-8",
    )
    assert run_cli(capsys, "import", "seed.csv").code == 0
    assert SEED_LABEL in run_cli(capsys, "accounts").out
    [row] = csv.DictReader(io.StringIO(run_cli(capsys, "accounts", "-f", "csv").out))
    assert row["label"] == SEED_LABEL
    assert json.loads(run_cli(capsys, "accounts", "-f", "json").out)[0]["label"] == SEED_LABEL
    isolated = f"\u2068{SEED_LABEL}\u2069"
    text = run_cli(capsys, "report", "--year", "2021", "-f", "text").out
    sentence = "(@DGSN_MAROC): 317,074 followers on 31 Dec 2021, +90,593 (+40.00%)"
    assert f"{isolated} {sentence}" in text
    escaped = "\u2068DGSN \\[archive\\] المديرية العامة للأمن الوطني\u2069"
    markdown = run_cli(capsys, "report", "--year", "2021", "-f", "markdown").out
    assert f"**{escaped} (@DGSN_MAROC)**" in markdown
    day = ("digest", "--date", "2021-12-31", "-f")
    assert isolated in run_cli(capsys, *day, "text").out
    assert f"{escaped} (`x:DGSN_MAROC`)" in run_cli(capsys, *day, "markdown").out
    assert f"<bdi>{SEED_LABEL}</bdi>" in run_cli(capsys, *day, "html").out
    chart = run_cli(capsys, "chart", "x:DGSN_MAROC", "--output", "seed.png")
    assert chart.code == 0, chart.err  # its title: tests/output/test_chart_scripts.py


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_daemon_log_lines_are_redacted_and_literal(fmt: str) -> None:
    """`bot run` and `bot serve` log through the same filters as every command."""
    from bot.daemon.logs import configure
    from bot.http.redact import Redactor

    buffer = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure(fmt, Redactor([TOKEN]), stream=buffer)
        try:
            raise ValueError(f"echoed {TOKEN} \x1b[2J")
        except ValueError:
            logging.getLogger("bot.test").exception("x said %s", HOSTILE)
    finally:
        root.handlers[:], root.level = saved
    assert_literal(buffer.getvalue())
    assert "\\x1b[2J" in buffer.getvalue() and "[REDACTED]" in buffer.getvalue()
