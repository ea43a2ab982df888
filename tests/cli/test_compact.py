"""``bot compact`` on the command line: --dry-run, --format json, --vacuum, bad words."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli


def _history(folder: Path, capsys: pytest.CaptureFixture[str]) -> int:
    """Four polls a day for 200 days, ending now: the first 110 days are before the cut."""
    now = datetime.now(UTC).replace(microsecond=0)
    lines = ["platform,handle,captured_at,followers,following,posts"]
    for hours in range(0, 200 * 24, 6):
        at = (now - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"bluesky,a.bsky.social,{at},{10000 - hours},1,{hours}")
    (folder / "history.csv").write_text("\n".join(lines) + "\n")
    assert run_cli(capsys, "import", "history.csv").code == 0
    return len(lines) - 1


def test_dry_run_then_compact_then_nothing_left_to_do(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stored = _history(cli_env, capsys)
    preview = run_cli(capsys, "compact", "--keep-raw", "90d", "--dry-run", "-f", "json")
    assert preview.code == 0, preview.err
    would = json.loads(preview.out)
    assert would["dry_run"] and would["snapshots_before"] == stored
    assert would["removed"] > 0 and would["bytes_per_snapshot_before"] > 0

    done = run_cli(capsys, "compact", "--keep-raw", "90d", "--vacuum", "-f", "json")
    assert done.code == 0, done.err
    facts = json.loads(done.out)
    assert facts["removed"] == would["removed"]
    assert facts["snapshots_after"] == stored - facts["removed"]
    assert facts["bytes_after"] < facts["bytes_before"]  # vacuumed: the space is given back
    assert facts["vacuumed"] and facts["transactions"] == 1

    again = run_cli(capsys, "compact")  # the default --keep-raw is 90d
    assert again.code == 0, again.err
    assert f"{stored - facts['removed']:,} stored, removed 0," in again.out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--keep-raw", "30d"), "--keep-raw: expected days from 62d to 36500d like 90d"),
        (("--keep-raw", "3 months"), "got '3 months'"),
        (("--format", "csv"), "--format"),
    ],
)
def test_bad_words_are_one_line_and_exit_2(
    cli_env: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], says: str
) -> None:
    result = run_cli(capsys, "compact", *args)
    assert result.code == 2
    assert says in result.err and result.err.count("\n") == 1 and "Traceback" not in result.err
