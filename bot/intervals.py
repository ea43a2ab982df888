"""How often an account is polled: the one rule, read from its row and the settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from bot.config import Settings
from bot.kinds import AccountStatus


class Scheduled(Protocol):
    """What the rule reads of an account: an ORM row or a Core row alike."""

    @property
    def platform(self) -> str: ...
    @property
    def origin(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def interval_seconds(self) -> int | None: ...


def account_interval(settings: Settings, account: Scheduled) -> timedelta | None:
    """The account's poll interval: its own, else the settings' default; None if unscheduled.

    An account nobody declared (only imported history) or one removed is polled on request only.
    """
    if account.origin is None or account.status == AccountStatus.REMOVED:
        return None
    own = timedelta(seconds=account.interval_seconds) if account.interval_seconds else None
    return settings.interval_of(account.platform, own)
