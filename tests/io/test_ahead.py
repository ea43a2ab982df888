"""``read_ahead``: the items in order from a thread, errors handed over, the thread always ended."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import nullcontext

import pytest

from bot.io.ahead import SWITCH_INTERVAL, read_ahead


def _threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "read-ahead"]


def test_every_item_in_order_made_in_another_thread() -> None:
    makers: set[int] = set()

    def items() -> Iterator[int]:
        for i in range(100):
            makers.add(threading.get_ident())
            yield i

    with read_ahead(items(), depth=3) as ahead:
        assert list(ahead) == list(range(100))
    assert makers and threading.get_ident() not in makers
    assert _threads() == []


def test_the_iterables_error_is_raised_to_the_caller_after_the_items_before_it() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("line 3: bad")

    seen: list[int] = []
    with pytest.raises(ValueError, match="line 3: bad"), read_ahead(items()) as ahead:
        for item in ahead:
            seen.append(item)
    assert seen == [1, 2]
    assert _threads() == []


@pytest.mark.parametrize("how", ["break", "raise"])
def test_leaving_early_stops_the_thread_and_closes_the_iterable(how: str) -> None:
    closed = threading.Event()
    made: list[int] = []

    def items() -> Iterator[int]:
        try:
            for i in range(1_000_000):
                made.append(i)
                yield i
        finally:
            closed.set()

    expected = pytest.raises(RuntimeError) if how == "raise" else nullcontext()
    with expected, read_ahead(items(), depth=2) as ahead:
        for item in ahead:
            if item == 5:
                if how == "raise":
                    raise RuntimeError("the database said no")
                break
    assert closed.is_set()
    assert _threads() == []
    # The thread stopped within its queue's reach, not at the end of the iterable.
    assert len(made) < 20


def test_the_switch_interval_is_shortened_while_reading_and_given_back() -> None:
    before = sys.getswitchinterval()
    with read_ahead(iter(range(3))) as ahead:
        assert sys.getswitchinterval() == min(before, SWITCH_INTERVAL)
        assert list(ahead) == [0, 1, 2]
    assert sys.getswitchinterval() == before


def test_an_iterable_that_cannot_even_start_is_its_error_not_a_hang() -> None:
    class Broken:
        def __iter__(self) -> Iterator[int]:
            raise OSError("no such pipe")

    with pytest.raises(OSError, match="no such pipe"), read_ahead(Broken()) as ahead:
        list(ahead)
    assert _threads() == []
