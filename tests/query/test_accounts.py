"""ACCOUNT arguments: ``platform:handle`` parsed above the store, then looked up in it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.errors import UnknownAccountError
from bot.query.accounts import account_by_key, accounts_by_keys, split_key
from bot.store.accounts import get_or_create

T0 = datetime(2021, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("bluesky:bsky.app", ("bluesky", "bsky.app")),
        (" BlueSky :@bsky.app", ("bluesky", "bsky.app")),
        ("mastodon:Gargron@mastodon.social", ("mastodon", "Gargron@mastodon.social")),
    ],
)
def test_split_key_normalises_platform_and_handle(key: str, expected: tuple[str, str]) -> None:
    assert split_key(key) == expected


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("bsky.app", "expected PLATFORM:HANDLE"),
        ("bluesky:", "expected PLATFORM:HANDLE"),
        ("myspace:tom", "unknown platform 'myspace' (known: "),
        ("mastodon:nobody", "account 'mastodon:nobody': "),
    ],
)
def test_split_key_names_what_is_wrong(key: str, message: str) -> None:
    with pytest.raises(UnknownAccountError, match=message.replace("(", r"\(")):
        split_key(key)


def test_account_by_key_matches_exactly_then_ignoring_case(engine: Engine) -> None:
    with Session(engine) as session:
        stored = get_or_create(session, "bluesky", "Mixed.bsky.social", T0)
        session.commit()
        assert account_by_key(session, "bluesky:Mixed.bsky.social").id == stored.id
        assert account_by_key(session, "bluesky:mixed.bsky.social").id == stored.id
        assert [a.id for a in accounts_by_keys(session, ["bluesky:MIXED.bsky.social"])] == [
            stored.id
        ]
        with pytest.raises(UnknownAccountError, match="unknown account bluesky:other"):
            account_by_key(session, "bluesky:other.bsky.social")
