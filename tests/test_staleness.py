"""The one staleness rule shared by ``bot status`` and the digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.staleness import STALE_INTERVALS, interval_of, intervals, is_stale

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


def test_intervals_are_the_accounts_own_or_the_default(tmp_path: Path) -> None:
    config = tmp_path / "accounts.toml"
    config.write_text(
        '[bot]\npoll_interval = "6h"\n'
        '[[accounts]]\nplatform = "bluesky"\nhandle = "bsky.app"\ninterval = "1h"\n'
        '[[accounts]]\nplatform = "mastodon"\nhandle = "a@b.example"\n'
    )
    settings = load_settings(config, environ={})
    assert intervals(settings) == {
        ("bluesky", "bsky.app"): HOUR,
        ("mastodon", "a@b.example"): 6 * HOUR,
    }
    assert interval_of(settings, "bluesky", "bsky.app") == HOUR
    assert interval_of(settings, "x", "unconfigured") == 6 * HOUR
