"""The garbage collector and a command's long-lived objects: set aside once start-up is done.

CPython's full collections walk every object it tracks. A command's imports, settings and
engine (and the daemon's accounts) are a few hundred thousand objects that live as long as the
process, and a poll cycle or a listing of 100,000 accounts allocates enough to trigger thousands
of collections: walking those objects again each time was a quarter of a 100,000-account poll
(docs/development.md, Performance). A process that is one command (``own_process``, called by
the ``bot`` entry point before its imports) collects nothing during its start-up; ``settle`` then
moves everything alive to the permanent generation (``gc.freeze``), which later collections skip,
and collects again: what is allocated afterwards is collected as usual, in fewer, larger young
collections. A test process, which runs many commands, is left as it is: settling it would keep
each command's engines and connections for good.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Allocations between young collections (CPython's default is 700). A cycle holds a chunk of
# 5,000 accounts' objects for its whole length: collecting every 700 allocations walked them
# again and again to free almost nothing (reference counting frees the rest).
YOUNG_THRESHOLD = 10_000
_owned = [False]


def own_process() -> None:
    """Say that this process runs one command and ends with it: no collection until ``settle``.

    Call it before anything else is imported (``bot.entry``). Start-up's imports, settings and
    engine all live to the end: collecting among them walked each object again for nothing
    (70-110 ms of a 2,000-account ``bot poll``'s 1.3-1.8 s, docs/development.md). A command at work
    calls ``settle`` once started (``command_context``; the daemon, the simulator, the demo and
    ``check`` themselves), which collects again from then on.
    """
    _owned[0] = True
    gc.disable()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


def settle() -> bool:
    """Exempt every object alive now from later collections and collect from now on.

    Call once start-up is done. True when it did. The objects frozen are never collected, at
    exit either: what must be closed then (the store's connections) is the caller's to close. No
    collection first: the few cycles start-up leaves unreachable are kept, once, which costs less
    than a full pass over everything the imports built.
    """
    if not _owned[0]:
        return False
    gc.freeze()
    gc.enable()
    return True


@contextmanager
def paused() -> Iterator[None]:
    """No collection inside the block; the collector as it was after it.

    For a bulk job whose rows live a batch each and hold no cycles (``bot import``): its young
    collections walked every batch held again and again to free nothing. Measured on 365,000 rows
    to PostgreSQL, eight alternate runs: 113,000 rows/s median against 97,000
    (docs/development.md, ninth session). What cycles the block leaves are collected after it.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
