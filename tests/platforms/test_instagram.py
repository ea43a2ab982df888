"""Instagram business_discovery adapter over Graph fixtures, its option, and the simulator."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from bot.clock import ManualClock
from bot.errors import AuthError, ParseError, PlatformError, RateLimitedError
from bot.http.client import make_client
from bot.platforms._graph import GRAPH_VERSION
from bot.platforms.base import Missing, Observation, Target
from bot.platforms.instagram import Instagram
from bot.simulator.counters import counters_for
from bot.simulator.graph import GraphSim
from tests.helpers.adapters import fetch, routes
from tests.helpers.simulator import running_simulator

OWN = "17841406338772941"
NODE = f"/{GRAPH_VERSION}/{OWN}"
TOKEN = "EAAB-secret-ig-token"
START = datetime(2026, 4, 11, 12, 0, tzinfo=UTC)
FIELDS = "id,username,name,followers_count,follows_count,media_count"


def adapter(**options: str) -> Instagram:
    return Instagram(token=TOKEN, options={"ig_user_id": OWN, **options})


# Answers ---------------------------------------------------------------------------------


def test_recorded_business_discovery() -> None:
    transport, seen = routes({NODE: "instagram/business-discovery-user.json"})
    [result] = fetch(adapter(), transport, [Target("facebookfordevelopers")])
    assert isinstance(result, Observation)
    assert (result.platform_id, result.current_handle, result.display_name) == (
        "17841407673135339",
        "facebookfordevelopers",
        "Facebook for Developers",
    )
    # The recording did not ask for follows_count: unknown, never zero.
    assert (result.followers, result.following, result.posts) == (64976, None, 436)
    request = seen[0]
    assert str(request.url).startswith(f"https://graph.facebook.com{NODE}?")
    assert request.url.params["fields"] == (
        f"business_discovery.username(facebookfordevelopers){{{FIELDS}}}"
    )
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(request.url)


def test_all_three_counters() -> None:
    transport, _ = routes({NODE: "instagram/business-discovery-full.json"})
    [result] = fetch(adapter(), transport, [Target("dgsn.maroc")])
    assert isinstance(result, Observation)
    assert (result.followers, result.following, result.posts) == (267793, 412, 1205)


def test_each_target_is_its_own_request() -> None:
    transport, seen = routes({NODE: "instagram/business-discovery-full.json"})
    fetch(adapter(), transport, [Target("one"), Target("two")])
    assert len(seen) == 2
    assert [len(b) for b in adapter().batches([Target("a"), Target("b")])] == [1, 1]


# A table of cases ------------------------------------------------------------------------

ERRORS: list[tuple[str, type[Exception], str]] = [
    ("instagram/error-190-expired-token.json", AuthError, "Session has expired"),
    ("instagram/error-100-own-account-unknown.json", AuthError, "ig_user_id"),
    ("instagram/error-80002-ig-rate-limit.json", RateLimitedError, "too many calls"),
]


def test_personal_or_unknown_account_is_not_found() -> None:
    transport, _ = routes({NODE: "instagram/error-110-cannot-find-user.json"})
    assert fetch(adapter(), transport, [Target("personalfriend")]) == [
        Missing("personalfriend", "not_found", "Graph error 110: Invalid user id")
    ]


@pytest.mark.parametrize(
    "error",
    [
        {"message": "(#100) Invalid user id", "code": 100},
        {"message": "Cannot find User", "code": 100, "error_subcode": 2207013},
        {"message": "The user with username: gone cannot be found.", "code": 100},
    ],
)
def test_code_100_about_the_user_is_not_found(error: dict[str, object]) -> None:
    transport, _ = routes({NODE: lambda req: httpx.Response(400, json={"error": error})})
    [result] = fetch(adapter(), transport, [Target("gone")])
    assert isinstance(result, Missing) and result.status == "not_found"


@pytest.mark.parametrize(("fixture_name", "error", "words"), ERRORS)
def test_whole_request_failures(fixture_name: str, error: type[Exception], words: str) -> None:
    transport, _ = routes({NODE: fixture_name})
    with pytest.raises(error) as caught:
        fetch(adapter(), transport, [Target("dgsn.maroc")])
    assert type(caught.value) is error
    assert words in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_throttle_wait_comes_from_the_business_use_case_header() -> None:
    transport, _ = routes({NODE: "instagram/error-80002-ig-rate-limit.json"})
    with pytest.raises(RateLimitedError) as caught:
        fetch(adapter(), transport, [Target("dgsn.maroc")])
    assert caught.value.retry_after == 900


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ('{"business_discovery": {', ParseError),
        ('{"id": "1"}', ParseError),
        ('{"business_discovery": {"username": "x", "followers_count": 1}}', ParseError),
        ('{"business_discovery": {"id": "9", "media_count": true}}', ParseError),
        ('{"error": {"message": "Unknown thing", "code": 9999}}', PlatformError),
    ],
)
def test_malformed_bodies(body: str, error: type[Exception]) -> None:
    transport, _ = routes({NODE: lambda req: httpx.Response(200, content=body.encode())})
    with pytest.raises(error):
        fetch(adapter(), transport, [Target("dgsn.maroc")])


# Handles, options and credentials ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("dgsn.maroc", "dgsn.maroc"), ("@DGSN.Maroc", "dgsn.maroc"), ("a_b.c9", "a_b.c9")],
)
def test_handles(raw: str, expected: str) -> None:
    assert Instagram.normalize_handle(raw) == expected


@pytest.mark.parametrize("raw", ["", "two words", "a" * 31, "dash-name", "é"])
def test_bad_handles_say_what_is_expected(raw: str) -> None:
    with pytest.raises(ValueError, match="Instagram username"):
        Instagram.normalize_handle(raw)


@pytest.mark.parametrize(
    ("made", "problem"),
    [
        (Instagram(options={"ig_user_id": OWN}), "INSTAGRAM_ACCESS_TOKEN is not set"),
        (Instagram(token=TOKEN), "platforms.instagram.ig_user_id is not set"),
        (Instagram(token=TOKEN, options={"ig_user_id": "me"}), "must be a numeric id"),
        (adapter(), None),
    ],
)
def test_missing_credentials(made: Instagram, problem: str | None) -> None:
    said = made.missing_credentials()
    assert said is None if problem is None else problem in (said or "")
    assert "ig_user_id" in Instagram.platform_options


def test_fetch_without_ig_user_id_makes_no_request() -> None:
    transport, seen = routes({NODE: "instagram/business-discovery-full.json"})
    with pytest.raises(AuthError, match="ig_user_id is not set"):
        fetch(Instagram(token=TOKEN), transport, [Target("dgsn.maroc")])
    assert seen == []


# Through the simulator --------------------------------------------------------------------


def test_through_the_simulator() -> None:
    async def main() -> None:
        clock = ManualClock(START)
        async with running_simulator(clock, platforms=[GraphSim]) as (sim, url):
            instagram = Instagram(
                base_url=url,
                allow_private_addresses=True,
                token="sim-token",
                options={"ig_user_id": OWN},
            )
            targets = [Target("dgsn.maroc"), Target("missing.user"), Target("suspended.user")]
            async with make_client() as client:
                results = [r for t in targets for r in await instagram.fetch(client, [t])]
                found = results[0]
                assert isinstance(found, Observation)
                want = counters_for("instagram", "dgsn.maroc", clock())
                assert (found.followers, found.following, found.posts) == (
                    want.followers,
                    want.following,
                    want.posts,
                )
                # business_discovery cannot tell a suspended account from an unknown one.
                assert [getattr(r, "status", None) for r in results[1:]] == ["not_found"] * 2
                with pytest.raises(AuthError):
                    await Instagram(
                        base_url=url,
                        allow_private_addresses=True,
                        token="bad-token",
                        options={"ig_user_id": OWN},
                    ).fetch(client, targets[:1])
                sim.inject(NODE, "429")
                with pytest.raises(RateLimitedError) as caught:
                    await instagram.fetch(client, targets[:1])
                assert caught.value.retry_after == 30
            assert sim.requests[NODE] == 5

    asyncio.run(main())
