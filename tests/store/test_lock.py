"""The one-daemon lock of a SQLite file: one holder per file, however the file is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import AlreadyRunningError
from bot.store.db import make_engine
from bot.store.lock import daemon_lock


def test_a_second_daemon_on_the_same_path_is_refused(tmp_path: Path) -> None:
    database = tmp_path / "bot.db"
    first, second = make_engine(f"sqlite:///{database}"), make_engine(f"sqlite:///{database}")
    with (
        daemon_lock(first),
        pytest.raises(AlreadyRunningError, match="already uses"),
        daemon_lock(second),
    ):
        pass


def test_a_symlink_to_the_same_file_is_the_same_lock(tmp_path: Path) -> None:
    real = tmp_path / "data" / "bot.db"
    real.parent.mkdir()
    link = tmp_path / "link.db"
    first = make_engine(f"sqlite:///{real}")
    link.symlink_to(real)
    through_link = make_engine(f"sqlite:///{link}")
    with (
        daemon_lock(first),
        pytest.raises(AlreadyRunningError, match="already uses"),
        daemon_lock(through_link),
    ):
        pass
    # The lock file sits beside the real file, not beside the link.
    assert (real.parent / "bot.db.lock").exists()
    assert not (tmp_path / "link.db.lock").exists()


def test_a_relative_and_an_absolute_path_share_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    relative = make_engine("sqlite:///./sub/../bot.db")
    with daemon_lock(first), pytest.raises(AlreadyRunningError), daemon_lock(relative):
        pass
