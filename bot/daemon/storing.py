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
class Chunk:
    """A chunk polled and judged: its rows to store, and its lines once they are stored."""

    records: list[PollRecord]
    due: dict[int, datetime]  # accounts claimed but deferred: due again then
    lines: list[PollResult]  # one per record, in order
    deferred: list[PollResult]


def save(engine: Engine, chunk: Chunk) -> list[PollResult]:
    """Store a judged chunk in one transaction (a refused row alone); its lines."""
    if not chunk.records and not chunk.due:
        return chunk.deferred
    refused = save_cycle(engine, chunk.records, chunk.due)
    lines = [
        refused_line(ln, refused[i]) if i in refused else ln for i, ln in enumerate(chunk.lines)
    ]
    return lines + chunk.deferred


def stored(
    engine: Engine, chunks: AsyncGenerator[Chunk, None]
) -> AsyncGenerator[list[PollResult], None]:
    """Each chunk's lines once it is stored, in order; ``chunks`` closed with it.

    On PostgreSQL a chunk is stored in a thread while the next one is claimed, fetched and judged
    (other accounts: leased to us until the store commits, or a later page of ``bot poll``): the
    server's work on one chunk hides behind the platform's on the next. SQLite takes one writer
    at a time and its writes hold the interpreter, so there each chunk is stored before the next
    is claimed. A store still running when the cycle ends (an error, a stop, the caller closing
    this) is waited for: its thread cannot be stopped, and no row of this cycle may be written
    after it.
    """
    if engine.dialect.name == "postgresql":
        return _overlapped(engine, chunks)
    return _in_turn(engine, chunks)


async def _in_turn(
    engine: Engine, chunks: AsyncGenerator[Chunk, None]
) -> AsyncGenerator[list[PollResult], None]:
    """Each chunk stored before the next is asked for."""
    async with aclosing(chunks):
        async for chunk in chunks:
            yield save(engine, chunk)


async def _overlapped(
    engine: Engine, chunks: AsyncGenerator[Chunk, None]
) -> AsyncGenerator[list[PollResult], None]:
    """Each chunk stored in a thread while the next is asked for."""
    saving: asyncio.Future[list[PollResult]] | None = None
    try:
        async with aclosing(chunks):
            while True:
                try:
                    chunk = await anext(chunks)
                except StopAsyncIteration:
                    break
                except Exception as error:
                    # The chunk stored before the error still has its lines said.
                    lines = None if saving is None else await _drained(saving, error)
                    saving = None
                    if lines is not None:
                        yield lines
                    raise
                last = None if saving is None else await _stored_or_dropped(saving, chunk)
                # This chunk's store begins before the last one's lines go out: a caller that
                # leaves then still finds it stored (waited for below), as without threads.
                saving = asyncio.ensure_future(asyncio.to_thread(save, engine, chunk))
                # The thread starts once the loop runs the task: before the next claim (it blocks).
                await asyncio.sleep(0)
                if last is not None:
                    yield last
        if saving is not None:
            lines, saving = await asyncio.shield(saving), None
            yield lines
    except BaseException as ending:
        if saving is not None:
            await _drained(saving, ending)
        raise


async def _stored_or_dropped(
    saving: asyncio.Future[list[PollResult]], polled: Chunk
) -> list[PollResult]:
    """The last chunk's lines once stored; if its store fails (the database gone), the chunk
    polled meanwhile is not stored either: said, since its accounts are polled again only once
    their leases run out (the daemon's; ``bot poll`` leaves them due)."""
    try:
        return await asyncio.shield(saving)
    except Exception:
        count = len(polled.lines) + len(polled.deferred)
        if count:
            log.error("the next chunk's %d accounts were not stored: storing one failed", count)
        raise


async def _drained(
    saving: asyncio.Future[list[PollResult]], ending: BaseException
) -> list[PollResult] | None:
    """Wait for a store in flight when something else ends the cycle (an error, a stop, the
    caller leaving); its lines, or None if it was cancelled or failed (a failure logged, unless
    it is what ends the cycle)."""
    if not saving.done():
        # ``wait`` neither cancels the store nor raises its error.
        await asyncio.wait({saving})
    if saving.cancelled():
        return None
    error = saving.exception()
    if error is None:
        return saving.result()
    if error is not ending:
        # The name only, as ``save_cycle`` logs it: a database error's text quotes the rows.
        log.error("storing a chunk of polls failed as the cycle ended (%s)", type(error).__name__)
    return None
