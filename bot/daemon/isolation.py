"""Keeping one batch's trouble inside that batch: its deadline, a stop, a row the store refuses."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine

from bot.kinds import PollOutcome
from bot.store.db import is_outage
from bot.store.writes import PollRecord, defer_accounts, save_poll_records

log = logging.getLogger(__name__)
T = TypeVar("T")


class Overdue(Exception):
    """The batch ran past its deadline."""


class Stopping(Exception):
    """The daemon was asked to stop while the batch ran."""


async def within(work: Awaitable[T], seconds: float, stop: asyncio.Event | None) -> T:
    """``work``'s result, unless ``seconds`` pass first (``Overdue``) or ``stop`` is set."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait()) if stop is not None else None
    waiting: set[asyncio.Future[Any]] = {task} if stopper is None else {task, stopper}
    try:
        done, _ = await asyncio.wait(waiting, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if stopper is not None:
            stopper.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if task in done or (task.done() and not task.cancelled()):
        return task.result()
    if stop is not None and stop.is_set():
        raise Stopping
    raise Overdue


def save_cycle(
    engine: Engine, records: list[PollRecord], due: dict[int, datetime]
) -> dict[int, str]:
    """Store the cycle at once; if the store refuses it, row by row. Returns refused rows."""
    try:
        with engine.begin() as connection:
            save_poll_records(connection, records)
            defer_accounts(connection, due)
        return {}
    except Exception as exc:
        if is_outage(exc):
            raise
        log.warning("storing the cycle failed (%s); storing account by account", type(exc).__name__)
    refused: dict[int, str] = {}
    for index, record in enumerate(records):
        try:
            with engine.begin() as connection:
                save_poll_records(connection, [record])
            continue
        except Exception as exc:
            if is_outage(exc):
                raise
            why = f"could not be stored ({type(exc).__name__})"
            log.error("account %d: poll result %s", record.account_id, why)
        refused[index] = why
        # The attempt is still recorded, without the values the store would not take.
        bare = replace(
            record,
            outcome=PollOutcome.PARSE_ERROR,
            values=None,
            message=why,
            identity_changed=False,
            requalified={},
        )
        with engine.begin() as connection:
            save_poll_records(connection, [bare])
    with engine.begin() as connection:
        defer_accounts(connection, due)
    return refused
