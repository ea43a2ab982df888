"""When an account is stale: one rule for ``bot status`` and the digest.

An account is stale when its newest snapshot (or, never polled, its creation) is older than
``STALE_INTERVALS`` of its poll intervals. The digest, a daily document, also waits at least a
day (``at_least``): a gap shorter than that is not news there, whatever the interval.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config import Settings

STALE_INTERVALS = 2


def intervals(settings: Settings) -> dict[tuple[str, str], timedelta]:
    """Each configured account's poll interval, by ``Settings.identity``."""
    return {
        settings.identity(a.platform, a.handle): settings.interval_for(a) for a in settings.accounts
    }


def interval_of(settings: Settings, platform: str, handle: str) -> timedelta:
    """The poll interval of one account: its own when configured, else the default."""
    for account in settings.accounts:
        if settings.identity(account.platform, account.handle) == settings.identity(
            platform, handle
        ):
            return settings.interval_for(account)
    return settings.poll_interval


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
