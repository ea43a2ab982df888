"""The one file writer: a file is replaced whole or not at all, and nothing is left behind."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.output.files import MODE, atomic_text, write_atomic
from tests.helpers.cli import run_cli


def test_a_file_is_written_and_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    target.write_text("old", encoding="utf-8")
    assert write_atomic(target, b"new\n") == target
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == MODE
    with atomic_text(target) as handle:
        handle.write("a,b\r\n1,2\n")
    assert target.read_bytes() == b"a,b\r\n1,2\n"  # newlines as written, UTF-8
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


def test_a_failure_while_writing_leaves_the_old_file_and_no_partial_one(tmp_path: Path) -> None:
    target = tmp_path / "all.jsonl"
    target.write_text("the old export\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="disk went away"), atomic_text(target) as handle:
        handle.write('{"half": "a row"')
        raise RuntimeError("disk went away")
    assert target.read_text(encoding="utf-8") == "the old export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["all.jsonl"]


def test_data_that_cannot_be_written_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "chart.png"
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_is_an_os_error_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "nodir" / "x.png", b"png")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["export", "chart"])
def test_a_symlink_at_the_old_partial_path_is_left_alone(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 10: export and chart once wrote ``<output>.partial`` and followed a symlink there."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "accounts.toml").write_text('[[accounts]]\nplatform = "x"\nhandle = "acme"\n')
    monkeypatch.setenv("BOT_CONFIG", str(tmp_path / "accounts.toml"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    (tmp_path / "seed.csv").write_text(
        "platform,handle,captured_at,followers\nx,acme,2021-01-01,10\nx,acme,2021-01-02,12\n"
    )
    assert run_cli(capsys, "import", "seed.csv").code == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    output = tmp_path / ("all.csv" if command == "export" else "acme.png")
    (tmp_path / f"{output.name}.partial").symlink_to(victim)
    args = (
        ("export", "--output", str(output))
        if command == "export"
        else ("chart", "x:acme", "--output", str(output))
    )
    result = run_cli(capsys, *args)
    assert result.code == 0, result.err
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert (tmp_path / f"{output.name}.partial").is_symlink() and output.stat().st_size > 0
    assert not output.is_symlink()
