"""``paused``: no collection inside the block, the collector as it was after it, errors too."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot.collector import paused


@pytest.fixture
def collecting() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.mark.usefixtures("collecting")
def test_the_collector_pauses_inside_and_resumes_after_even_on_an_error() -> None:
    with paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError, match="bad row"), paused():
        raise ValueError("bad row")
    assert gc.isenabled()


@pytest.mark.usefixtures("collecting")
def test_a_collector_already_off_stays_off() -> None:
    gc.disable()
    with paused():
        pass
    assert not gc.isenabled()
