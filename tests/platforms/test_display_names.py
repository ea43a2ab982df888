"""Every adapter that reads a display name stores it clean: no NUL, control or override.

Each recorded answer has its display name swapped for a hostile one; the observation keeps
the visible words and drops what a terminal or the database would choke on.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from bot.platforms import REGISTRY
from bot.platforms.base import Adapter, Observation, Target, text_value
from tests.helpers.adapters import fetch, routes
from tests.platforms import (
    test_facebook,
    test_instagram,
    test_reddit,
    test_telegram,
    test_twitch,
    test_x,
    test_youtube,
)

HOSTILE = "\x00Evil\x1b[2J\u202e Name\r\n\u2066[/bold]\x07"
CLEAN = "Evil[2J Name [/bold]"
# platform: (adapter, routes, target, the JSON key and value of the recorded display name)
CASES: dict[str, tuple[Callable[[], Adapter], dict[str, str], str, str, str]] = {
    "x": (
        test_x.adapter,
        {test_x.BY: "x/v2-users-batch-public-metrics.json"},
        "twitterdev",
        "name",
        "Twitter Dev",
    ),
    "bluesky": (
        REGISTRY["bluesky"],
        {"/xrpc/app.bsky.actor.getProfiles": "bluesky/getprofiles-one-actor.json"},
        "chriskenny.bsky.social",
        "displayName",
        "Chris Kenny",
    ),
    "mastodon": (
        lambda: REGISTRY["mastodon"](base_url="http://sim"),
        {"/api/v1/accounts/lookup": "mastodon/accounts-lookup-200.json"},
        "mastodonpy_test@localhost.test",
        "display_name",
        "John Lennon",
    ),
    "github": (
        REGISTRY["github"],
        {"/users/jacquev6": "github/users-get-authenticated-token-2025.json"},
        "jacquev6",
        "name",
        "Vincent Jacques",
    ),
    "facebook": (
        test_facebook.adapter,
        {test_facebook.MULTI: "facebook/pages-multi-ids-followers.json"},
        "DGSN.MAROC",
        "name",
        "DGSN Maroc",
    ),
    "instagram": (
        test_instagram.adapter,
        {test_instagram.NODE: "instagram/business-discovery-user.json"},
        "facebookfordevelopers",
        "name",
        "Facebook for Developers",
    ),
    "reddit": (
        test_reddit.reddit,
        {
            test_reddit.TOKEN_PATH: "reddit/token-200.json",
            test_reddit.ANNOUNCEMENTS: "reddit/subreddit-about-announcements.json",
        },
        "r/announcements",
        "title",
        "Official Reddit announcements",
    ),
    "telegram": (
        test_telegram.telegram,
        {
            test_telegram.GET_CHAT: "telegram/getchat-channel.json",
            test_telegram.COUNT: "telegram/getchatmembercount-ok.json",
        },
        "@example_channel",
        "title",
        "Example Channel",
    ),
    "twitch": (
        test_twitch.twitch,
        dict(test_twitch.OK),
        "sodapoppin",
        "display_name",
        "sodapoppin",
    ),
    "youtube": (
        test_youtube.youtube,
        {test_youtube.CHANNELS: "youtube/channels-list-single-statistics.json"},
        test_youtube.GOOGLE_DEVS,
        "title",
        "Google Developers",
    ),
}


def hostile(transport: httpx.MockTransport, key: str, value: str) -> httpx.MockTransport:
    """The recorded answers with ``"key": "value"`` given the hostile name instead."""
    recorded = f"{json.dumps(key)}: {json.dumps(value)}"
    swapped = f"{json.dumps(key)}: {json.dumps(HOSTILE)}"

    def handle(request: httpx.Request) -> httpx.Response:
        answer = transport.handle_request(request)
        body = answer.read().decode().replace(recorded, swapped)
        return httpx.Response(answer.status_code, headers=answer.headers, text=body)

    return httpx.MockTransport(handle)


def test_every_platform_that_reports_a_display_name_is_covered() -> None:
    without = {"json"}  # a JSON source reports counters only
    assert set(CASES) == set(REGISTRY) - without


@pytest.mark.parametrize("platform", sorted(CASES))
def test_display_names_are_stored_clean(platform: str) -> None:
    make, table, handle, key, value = CASES[platform]
    transport, _ = routes(table)
    [result] = fetch(make(), hostile(transport, key, value), [Target(handle)])
    assert isinstance(result, Observation), result
    assert result.display_name == CLEAN


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Acme", "Acme"), ("", None), (" \x00\u202e ", None), (42, None), (None, None)],
)
def test_text_value(value: object, expected: str | None) -> None:
    assert text_value(value) == expected
