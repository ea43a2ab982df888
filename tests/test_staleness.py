"""The one staleness rule shared by ``bot status`` and the digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.intervals import account_interval
from bot.kinds import AccountOrigin, AccountStatus
from bot.staleness import STALE_INTERVALS, interval_of, is_stale

NOW = datetime(2024, 3, 31, 12, tzinfo=UTC)
CREATED = NOW - timedelta(days=30)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("last_data", "interval", "at_least", "stale"),
    [
        (NOW - 2 * HOUR, HOUR, timedelta(0), False),  # exactly two intervals: not yet
        (NOW - 2 * HOUR - timedelta(seconds=1), HOUR, timedelta(0), True),
        (NOW - 3 * HOUR, HOUR, timedelta(days=1), False),  # the digest waits a day
        (NOW - timedelta(days=1, seconds=1), HOUR, timedelta(days=1), True),
        (None, HOUR, timedelta(0), True),  # never polled: counted from creation
        (NOW - timedelta(days=1), timedelta(days=1), timedelta(0), False),
    ],
)
def test_is_stale(
    last_data: datetime | None, interval: timedelta, at_least: timedelta, stale: bool
) -> None:
    assert is_stale(last_data, CREATED, interval, NOW, at_least=at_least) is stale
    assert STALE_INTERVALS == 2


@dataclass
class Row:
    """The columns the interval rule reads of an account row."""

    platform: str
    origin: str | None
    status: str
    interval_seconds: int | None


def test_intervals_are_the_accounts_own_or_the_default(tmp_path: Path) -> None:
    config = tmp_path / "accounts.toml"
    config.write_text('[bot]\npoll_interval = "6h"\n')
    settings = load_settings(config, environ={})
    own = Row("bluesky", AccountOrigin.CLI, AccountStatus.ACTIVE, 3600)
    default = Row("mastodon", AccountOrigin.CONFIG, AccountStatus.PAUSED, None)
    assert account_interval(settings, own) == interval_of(settings, own) == HOUR
    assert account_interval(settings, default) == interval_of(settings, default) == 6 * HOUR
    # Unscheduled: polled on request only, yet stale after two default intervals.
    for row in (
        Row("x", None, AccountStatus.ACTIVE, None),
        Row("x", AccountOrigin.IMPORT, AccountStatus.REMOVED, 60),
    ):
        assert account_interval(settings, row) is None
        assert interval_of(settings, row) == 6 * HOUR
