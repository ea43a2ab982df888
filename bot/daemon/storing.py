"""A poll cycle's chunks stored in order, on PostgreSQL while the next chunk is polled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from bot.daemon.isolation import save_cycle
from bot.daemon.records import PollResult, refused_line
from bot.store.writes import PollRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Judged:
    """A chunk polled and judged: its rows to store, and its lines once they are stored."""

    records: list[PollRecord]
    due: dict[int, datetime]  # accounts claimed but deferred: due again then
    lines: list[PollResult]  # one per record, in order
    deferred: list[PollResult]


def save(engine: Engine, chunk: Judged) -> list[PollResult]:
    """Store a judged chunk in one transaction (a refused row alone); its lines."""
    if not chunk.records and not chunk.due:
        return chunk.deferred
    refused = save_cycle(engine, chunk.records, chunk.due)
    lines = [
        refused_line(ln, refused[i]) if i in refused else ln for i, ln in enumerate(chunk.lines)
    ]
    return lines + chunk.deferred


def stored(
    engine: Engine, chunks: AsyncGenerator[Judged, None]
) -> AsyncGenerator[list[PollResult], None]:
    """Each chunk's lines once it is stored, in order; ``chunks`` closed with it.

    On PostgreSQL a chunk is stored in a thread while the next one is claimed, fetched and judged
    (its accounts are other accounts, still leased to us until the store commits): the server's
    work on one chunk hides behind the platform's on the next. SQLite takes one writer at a time
    and its writes hold the interpreter, so there each chunk is stored before the next is claimed.
    A store still running when the cycle ends (an error, a stop, the caller closing this) is
    waited for: its thread cannot be stopped, and no row of this cycle may be written after it.
    """
    if engine.dialect.name == "postgresql":
        return _overlapped(engine, chunks)
    return _in_turn(engine, chunks)


async def _in_turn(
    engine: Engine, chunks: AsyncGenerator[Judged, None]
) -> AsyncGenerator[list[PollResult], None]:
    """Each chunk stored before the next is asked for."""
    async with aclosing(chunks):
        async for chunk in chunks:
            yield save(engine, chunk)


async def _overlapped(
    engine: Engine, chunks: AsyncGenerator[Judged, None]
) -> AsyncGenerator[list[PollResult], None]:
    """Each chunk stored in a thread while the next is asked for."""
    saving: asyncio.Future[list[PollResult]] | None = None
    try:
        async with aclosing(chunks):
            async for chunk in chunks:
                lines = None if saving is None else await asyncio.shield(saving)
                # This chunk's store begins before the last one's lines go out: a caller that
                # leaves then still finds it stored (waited for below), as without threads.
                saving = asyncio.ensure_future(asyncio.to_thread(save, engine, chunk))
                # The thread starts once the loop runs the task: before the next claim (it blocks).
                await asyncio.sleep(0)
                if lines is not None:
                    yield lines
        if saving is not None:
            lines = await asyncio.shield(saving)
            saving = None
            yield lines
    except BaseException as ending:
        if saving is not None:
            await _drained(saving, ending)
        raise


async def _drained(saving: asyncio.Future[list[PollResult]], ending: BaseException) -> None:
    """Wait for a store in flight when something else ends the cycle (an error, a stop, the
    caller leaving); its own failure is logged, unless it is what ends the cycle."""
    if not saving.done():
        # ``wait`` neither cancels the store nor raises its error.
        await asyncio.wait({saving})
    error = None if saving.cancelled() else saving.exception()
    if error is not None and error is not ending:
        # The name only, as ``save_cycle`` logs it: a database error's text quotes the rows.
        log.error("storing a chunk of polls failed as the cycle ended (%s)", type(error).__name__)
