"""The one file writer: a file is replaced whole or not at all, and nothing is left behind."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.output.files import MODE, atomic_text, write_atomic


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
