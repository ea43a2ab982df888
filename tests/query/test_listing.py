"""``bot accounts``: one statement lists each account with its newest snapshot's counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import AccountSettings, Settings
from bot.kinds import Quality
from bot.query import rows as views
from bot.store.accounts import sync_accounts
from bot.store.models import Snapshot

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)


def test_each_account_shows_its_newest_counts_and_a_group_only_its_members(
    engine: Engine,
) -> None:
    settings = Settings(
        accounts=(
            AccountSettings("bluesky", "a.bsky.social", label="A", groups=("news", "x")),
            AccountSettings("bluesky", "b.bsky.social", groups=("sport",)),
            AccountSettings("mastodon", "c@example.social", groups=("news",)),
        )
    )
    with Session(engine) as session:
        a, b, _ = sync_accounts(session, settings, T0)
        for at, followers, quality in (
            (T0, 100, Quality.OK),
            (T0 + timedelta(days=1), 90, Quality.SUSPECT),  # newest, whatever its quality
            (T0 - timedelta(days=1), 80, Quality.OK),
        ):
            session.add(
                Snapshot(
                    account_id=a.id or 0,
                    captured_at=at,
                    followers=followers,
                    posts=followers // 10,
                    quality=quality,
                )
            )
        session.add(Snapshot(account_id=b.id or 0, captured_at=T0, followers=7))
        session.commit()
    every = views.account_rows(engine)
    assert [(r["platform"], r["handle"], r["followers"], r["posts"]) for r in every] == [
        ("bluesky", "a.bsky.social", 90, 9),
        ("bluesky", "b.bsky.social", 7, None),
        ("mastodon", "c@example.social", None, None),
    ]
    news = views.account_rows(engine, "news")
    assert [(r["handle"], r["label"], r["followers"]) for r in news] == [
        ("a.bsky.social", "A", 90),
        ("c@example.social", None, None),
    ]
    assert set(news[0]) == set(every[0])
    assert views.account_rows(engine, "nobody") == []
