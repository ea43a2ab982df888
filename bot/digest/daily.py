"""The daemon's digests: after ``digest_at``, each configured digest that is due, once a channel.

Daily: yesterday's, every day. Weekly (``[bot] digests`` has "weekly"): last week's (Monday to
Sunday), on Mondays. Monthly: last month's, on the 1st. A weekly or monthly digest is due for
the whole of its day once ``digest_at`` has passed, so a failed channel is retried that day.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from bot.clock import Clock, day_bounds
from bot.config import Settings
from bot.digest import periods
from bot.digest.deliver import UNKNOWN_WAIT, DeliveryResult, configured_channels, deliver_digest
from bot.kinds import DeliveryStatus
from bot.store.digests import runs_on
from bot.store.history import first_captured_at
from bot.store.models import DigestRun

log = logging.getLogger(__name__)
# A channel that is sent or disabled for the day needs nothing more.
_DONE = (DeliveryStatus.SENT, DeliveryStatus.DISABLED)


def due_day(settings: Settings, now: datetime) -> date | None:
    """The day whose digest is due at ``now``: yesterday once ``digest_at`` has passed."""
    local = now.astimezone(settings.timezone)
    if local.time() < settings.digest_at:
        return None
    return local.date() - timedelta(days=1)


def due_digests(settings: Settings, now: datetime) -> list[tuple[str, date]]:
    """Every configured digest due at ``now``: (period, its last day), daily first."""
    yesterday = due_day(settings, now)
    if yesterday is None:
        return []
    today = yesterday + timedelta(days=1)
    found = []
    for kind in settings.digests:
        period = periods.CONFIG_WORDS[kind]
        last = periods.due(period, today)
        if last is not None:
            found.append((period, last))
    return found


async def send_due_digests(
    engine: Engine, settings: Settings, clock: Clock, *, files_dir: Path = Path("data/digests")
) -> list[DeliveryResult]:
    """Deliver every due digest to the channels that still need it (none due: nothing built)."""
    now = clock()
    results: list[DeliveryResult] = []
    for period, day in due_digests(settings, now):
        try:
            results += await _send_one(engine, settings, clock, period, day, files_dir)
        except Exception:
            # One digest that cannot be built must not keep the others from being sent.
            log.exception("%s digest of %s failed", periods.ADJECTIVES[period], day)
    return results


async def _send_one(
    engine: Engine, settings: Settings, clock: Clock, period: str, day: date, files_dir: Path
) -> list[DeliveryResult]:
    """One period's digest to its pending channels; built only when one needs it."""
    if not _has_history(engine, settings, day):
        return []
    now = clock()
    done = {run.channel for run in runs_on(engine, day) if _settled(run, now)}
    pending = [
        c.name
        for c in configured_channels(settings)
        if periods.run_channel(period, c.name) not in done
    ]
    if not pending:
        return []
    # Building, Apprise and the database calls block: keep them off the daemon's event loop.
    return await asyncio.to_thread(
        deliver_digest,
        engine,
        settings,
        day,
        period=period,
        clock=clock,
        channels=pending,
        files_dir=files_dir,
    )


def _settled(run: DigestRun, now: datetime) -> bool:
    """Sent, disabled, or unknown and still waiting: nothing to build for it now."""
    if run.status in _DONE:
        return True
    if run.status != DeliveryStatus.UNKNOWN or run.sent_at is None:
        return False
    tried = run.sent_at if run.sent_at.tzinfo else run.sent_at.replace(tzinfo=UTC)
    return tried > now - UNKNOWN_WAIT


def _has_history(engine: Engine, settings: Settings, day: date) -> bool:
    """A digest of a day before the first snapshot would be empty: skip it."""
    _, end = day_bounds(day, settings.timezone)
    with engine.connect() as connection:
        first = first_captured_at(connection)
    return first is not None and first <= end
