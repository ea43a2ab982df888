"""``bot accounts add|remove|pause|resume|import``: round trips, refusals, all-or-nothing import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cli import cli_env, run_cli

CONFIG = """
[bot]
poll_interval = "6h"

[[accounts]]
platform = "x"
handle = "Declared"
label = "From the file"
"""
HEADER = "platform,handle,label,groups,interval\n"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    """A working directory with a config file declaring one account, and the test database."""
    return cli_env(monkeypatch, tmp_path, database_url, CONFIG)


def listed(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, dict[str, object]]:
    result = run_cli(capsys, "accounts", "-f", "json", *args)
    assert result.code == 0, result.err
    return {f"{a['platform']}:{a['handle']}": a for a in json.loads(result.out)}


def test_add_pause_resume_remove_round_trip(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    added = run_cli(
        capsys, "accounts", "add", "bluesky:bsky.app", "--label", "Bluesky", "--group", "a",
        "--group", "b", "--interval", "1h",
    )  # fmt: skip
    assert (added.code, added.out.strip()) == (0, "added bluesky:bsky.app"), added.err
    row = listed(capsys)["bluesky:bsky.app"]
    assert (row["label"], row["status"]) == ("Bluesky", "active")
    assert "x:Declared" in listed(capsys)
    assert run_cli(capsys, "accounts", "pause", "bluesky:bsky.app").code == 0
    assert listed(capsys)["bluesky:bsky.app"]["status"] == "paused"
    assert run_cli(capsys, "accounts", "resume", "bluesky:bsky.app").code == 0
    assert listed(capsys)["bluesky:bsky.app"]["status"] == "active"
    removed = run_cli(capsys, "accounts", "remove", "bluesky:bsky.app")
    assert removed.code == 0 and "history kept" in removed.out
    assert "bluesky:bsky.app" not in listed(capsys)
    assert listed(capsys, "--all")["bluesky:bsky.app"]["status"] == "removed"
    # Added again: live again, with its new label.
    assert run_cli(capsys, "accounts", "add", "bluesky:bsky.app", "--label", "Again").code == 0
    assert listed(capsys)["bluesky:bsky.app"]["label"] == "Again"


def test_the_file_wins_for_what_it_declares(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for verb in ("add", "remove"):
        refused = run_cli(capsys, "accounts", verb, "x:declared")  # X ignores case
        assert refused.code == 2
        assert "x:Declared is declared in" in refused.err and "accounts.toml" in refused.err
        assert refused.err.count("\n") == 1
    # Pause and resume work for it, and a paused account stays paused when the file changes.
    assert run_cli(capsys, "accounts", "pause", "x:Declared").code == 0
    (env / "accounts.toml").write_text(CONFIG.replace("From the file", "Renamed"))
    row = listed(capsys)["x:Declared"]
    assert (row["status"], row["label"]) == ("paused", "Renamed")


def test_added_accounts_survive_a_changed_file(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "accounts", "add", "bluesky:bsky.app").code == 0
    (env / "accounts.toml").write_text('[bot]\npoll_interval = "6h"\n')
    rows = listed(capsys, "--all")
    assert rows["bluesky:bsky.app"]["status"] == "active"
    assert rows["x:Declared"]["status"] == "removed"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bsky.app"], "expected PLATFORM:HANDLE"),
        (["nowhere:someone"], "unknown platform 'nowhere'"),
        (["bluesky:not a handle"], "ACCOUNT: expected"),
        (["bluesky:bsky.app", "--interval", "0h"], "--interval: expected a duration"),
        (["bluesky:bsky.app", "--label", "x" * 201], "--label: expected at most 200"),
        (["json:doc"], "json accounts need options"),
    ],
)
def test_add_refuses_what_the_config_would(
    env: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    result = run_cli(capsys, "accounts", "add", *args)
    assert result.code == 2 and message in result.err, result.err
    assert result.err.count("\n") == 1
    assert "bluesky:bsky.app" not in listed(capsys)


def test_unknown_accounts_exit_1(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for verb in ("remove", "pause", "resume"):
        result = run_cli(capsys, "accounts", verb, "bluesky:nobody.bsky.social")
        assert result.code == 1 and "unknown account" in result.err


def test_import_stores_every_row(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (env / "list.csv").write_text(
        HEADER + "bluesky,bsky.app,Bluesky,reference|press,1h\n"
        "mastodon,Gargron@mastodon.social,,,\n"
        "\n"
        "x,DGSN_MAROC,DGSN,press,\n"
    )
    result = run_cli(capsys, "accounts", "import", "list.csv")
    assert result.code == 0, result.err
    assert "3 accounts added, 0 updated" in result.out
    rows = listed(capsys)
    assert rows["bluesky:bsky.app"]["label"] == "Bluesky"
    assert set(listed(capsys, "--group", "press")) == {"bluesky:bsky.app", "x:DGSN_MAROC"}
    # Again, with a new label: the same accounts, updated, none added.
    (env / "list.csv").write_text(HEADER + "x,dgsn_maroc,Police,,\n")
    again = run_cli(capsys, "accounts", "import", "list.csv")
    assert "0 accounts added, 1 updated" in again.out, again.err
    assert listed(capsys)["x:DGSN_MAROC"]["label"] == "Police"


def test_a_bad_file_stores_nothing_and_names_each_line(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (env / "bad.csv").write_text(
        HEADER + "bluesky,bsky.app,Fine,,\n"
        "nowhere,someone,,,\n"
        "bluesky,bsky.app,,,\n"
        "x,DGSN_MAROC,,,\n"
        "x,dgsn_maroc,,,\n"
        "x,declared,,,\n"
        "bluesky,ok.bsky.social,,,0m\n"
        "bluesky,two.bsky.social\n"
    )
    result = run_cli(capsys, "accounts", "import", "bad.csv")
    assert result.code == 2
    lines = result.err.splitlines()
    assert any("bad.csv:3: platform: unknown platform 'nowhere'" in line for line in lines)
    assert any("bad.csv:8: interval: expected a duration" in line for line in lines)
    assert any("bad.csv:9: expected 5 fields" in line for line in lines)
    assert lines[-1] == "error: bad.csv: nothing imported"
    assert set(listed(capsys)) == {"x:Declared"}
    # The checks against each other and the store come once the rows themselves are right.
    (env / "dup.csv").write_text(
        HEADER + "bluesky,bsky.app,,,\nbluesky,bsky.app,,,\nx,DGSN_MAROC,,,\n"
        "x,dgsn_maroc,,,\nx,declared,,,\n"
    )
    dup = run_cli(capsys, "accounts", "import", "dup.csv").err.splitlines()
    assert "error: dup.csv:3: bluesky:bsky.app again (first at dup.csv:2)" in dup
    assert "error: dup.csv:5: x:dgsn_maroc again (first at dup.csv:4)" in dup
    assert "error: dup.csv:6: x:declared is declared in the config file" in dup
    assert set(listed(capsys)) == {"x:Declared"}


def test_many_bad_rows_are_capped(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (env / "bad.csv").write_text(HEADER + "nowhere,someone,,,\n" * 25)
    result = run_cli(capsys, "accounts", "import", "bad.csv")
    lines = result.err.splitlines()
    assert result.code == 2 and len(lines) == 22
    assert lines[-2] == "error: … and 5 more"


@pytest.mark.parametrize(
    ("text", "message"),
    [("handle,name\nx,y\n", "bad.csv:1: expected a header"), ("\xff", "not UTF-8")],
)
def test_a_file_that_is_no_accounts_csv_is_one_line(
    env: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    (env / "bad.csv").write_bytes(text.encode("latin-1"))
    result = run_cli(capsys, "accounts", "import", "bad.csv")
    assert result.code == 2 and message in result.err
    assert result.err.count("\n") == 1
