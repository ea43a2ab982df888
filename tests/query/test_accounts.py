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


def test_like_wildcards_in_a_handle_are_characters(engine: Engine) -> None:
    with Session(engine) as session:
        stored = get_or_create(session, "x", "ab_c", T0)
        session.commit()
        # ``_`` and ``%`` would match any character(s) in a LIKE pattern.
        for key in ("x:abxc", "x:a%", "x:%", "x:AB%C"):
            with pytest.raises(UnknownAccountError):
                account_by_key(session, key)
        assert account_by_key(session, "x:AB_C").id == stored.id


def test_case_sensitive_ids_are_matched_exactly(engine: Engine) -> None:
    channel = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
    with Session(engine) as session:
        stored = get_or_create(session, "youtube", channel, T0)
        session.commit()
        assert account_by_key(session, f"youtube:{channel}").id == stored.id
        with pytest.raises(UnknownAccountError):
            account_by_key(session, f"youtube:{channel.lower().replace('uc', 'UC', 1)}")
        other = get_or_create(session, "youtube", channel.upper(), T0)
        assert other.id != stored.id


@pytest.mark.parametrize(
    "key",
    [
        "bluesky:bsky\x00.app",
        "mastodon:Garg\x00ron@mastodon.social",
        "bluesky:\u202eppa.yksb",
        "bluesky:" + "a" * 100_000 + ".app",
    ],
    ids=["nul", "mastodon-nul", "bidi", "100kB"],
)
def test_hostile_handles_never_reach_sql(engine: Engine, key: str) -> None:
    # PostgreSQL refuses NUL in text and would print the statement and its parameters.
    with Session(engine) as session, pytest.raises(UnknownAccountError) as caught:
        account_by_key(session, key)
    message = str(caught.value)
    assert message.startswith("account ") and "SELECT" not in message
    assert "\n" not in message and len(message) < 400
