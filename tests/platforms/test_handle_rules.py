"""Handles pass each platform's character rules before they reach SQL, and say who folds case."""

from __future__ import annotations

import pytest

from bot.platforms import REGISTRY

NUL, BIDI, ZERO_WIDTH, NEWLINE = "\x00", "\u202e", "\u200b", "\n"
HUGE = "a" * 100_000

# (platform, handle a hostile caller sends): refused by every rule, before any SQL.
HOSTILE = [
    ("bluesky", f"bsky{NUL}.app"),
    ("bluesky", f"bsky.app{NEWLINE}x"),
    ("bluesky", f"{BIDI}ppa.yksb"),
    ("bluesky", f"bsky{ZERO_WIDTH}.app"),
    ("bluesky", f"{HUGE}.bsky.social"),
    ("bluesky", "a..b"),
    ("bluesky", "bsky.app:8080"),
    ("bluesky", "bücher.example"),  # handles are ASCII (punycode)
    ("bluesky", f"did:plc:abc{NUL}"),
    ("bluesky", "did:plc:abc/../x"),
    ("bluesky", "did:" + "a" * 300),
    ("mastodon", f"Garg{NUL}ron@mastodon.social"),
    ("mastodon", f"Gargron{NEWLINE}@mastodon.social"),
    ("mastodon", f"Gar{BIDI}gron@mastodon.social"),
    ("mastodon", f"{HUGE}@mastodon.social"),
    ("mastodon", "Garg ron@mastodon.social"),
    ("mastodon", "Gargron%@mastodon.social"),
    ("x", f"jack{NUL}"),
    ("x", f"ja{BIDI}ck"),
    ("youtube", f"@chan{NUL}nel"),
    ("youtube", f"@chan{BIDI}nel"),
    ("telegram", f"durov{NUL}chan"),
    ("reddit", f"r/Python{NUL}"),
    ("reddit", f"u/{HUGE}"),
    ("github", f"octo{ZERO_WIDTH}cat"),
    ("twitch", f"ninja{NUL}"),
    ("instagram", f"blue{BIDI}bottle"),
    ("facebook", f"page{NUL}"),
    ("json", f"name{NUL}"),
]


@pytest.mark.parametrize(("platform", "handle"), HOSTILE, ids=lambda v: repr(v)[:40])
def test_hostile_handles_are_refused_in_one_short_line(platform: str, handle: str) -> None:
    with pytest.raises(ValueError) as caught:
        REGISTRY[platform].normalize_handle(handle)
    message = str(caught.value)
    assert message.startswith("expected "), message
    assert "\n" not in message and NUL not in message and len(message) < 400


@pytest.mark.parametrize(
    ("platform", "handle", "canonical"),
    [
        ("bluesky", "@BSKY.app", "bsky.app"),
        ("bluesky", "did:plc:z72i7hdynmk6r22z27h6tvur", "did:plc:z72i7hdynmk6r22z27h6tvur"),
        ("bluesky", "did:web:example.com", "did:web:example.com"),
        ("bluesky", "xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("mastodon", "Gargron@Mastodon.Social", "Gargron@mastodon.social"),
        ("mastodon", "first.last-1@example.org", "first.last-1@example.org"),
        ("x", " DGSN_MAROC ", "DGSN_MAROC"),
    ],
)
def test_real_handles_still_pass(platform: str, handle: str, canonical: str) -> None:
    assert REGISTRY[platform].normalize_handle(handle) == canonical


@pytest.mark.parametrize(
    ("platform", "handle", "any_case"),
    [
        ("x", "DGSN_MAROC", True),
        ("bluesky", "bsky.app", True),
        ("mastodon", "Gargron@mastodon.social", True),
        ("instagram", "bluebottle", True),
        ("telegram", "@durov", True),
        ("reddit", "r/Python", True),
        ("twitch", "ninja", True),
        ("github", "octocat", True),
        ("youtube", "@GoogleDevelopers", True),
        # Channel ids are case-sensitive: UCabc and UCABC are two channels.
        ("youtube", "UC_x5XG1OV2P6uZZ5FSM9Ttw", False),
        ("json", "Intranet", False),
    ],
)
def test_which_handles_are_one_account_in_any_case(
    platform: str, handle: str, any_case: bool
) -> None:
    adapter = REGISTRY[platform]
    assert adapter.handle_any_case(adapter.normalize_handle(handle)) is any_case
