"""When an account is stale: one rule for ``bot status`` and the digest.

An account is stale when its newest snapshot (or, never polled, its creation) is older than
``STALE_INTERVALS`` of its poll intervals. The digest, a daily document, also waits at least a
day (``at_least``): a gap shorter than that is not news there, whatever the interval.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config import Settings
from bot.intervals import Scheduled, account_interval

STALE_INTERVALS = 2


def interval_of(settings: Settings, account: Scheduled) -> timedelta:
    """The poll interval of one account: its own, else the default (unscheduled ones too)."""
    return account_interval(settings, account) or settings.interval_of(account.platform, None)


def is_stale(
    last_data: datetime | None,
    created: datetime,
    interval: timedelta,
    now: datetime,
    *,
    at_least: timedelta = timedelta(0),
) -> bool:
    """No data for ``STALE_INTERVALS`` intervals (and ``at_least``), from creation if none yet."""
    return now - (last_data or created) > max(interval * STALE_INTERVALS, at_least)
