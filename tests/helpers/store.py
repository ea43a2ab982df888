"""Builders of store rows for tests that write the database directly."""

from __future__ import annotations

from datetime import datetime

from bot.kinds import Quality, Source
from bot.store.writes import NewSnapshot


def snap(
    account_id: int,
    at: datetime,
    followers: int | None,
    posts: int | None = None,
    quality: Quality = Quality.OK,
) -> NewSnapshot:
    """An imported snapshot row with only the counters a test cares about."""
    return {
        "account_id": account_id,
        "captured_at": at,
        "followers": followers,
        "following": None,
        "posts": posts,
        "extra": None,
        "precision": 1,
        "source": Source.IMPORT,
        "quality": quality,
    }
