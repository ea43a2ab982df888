"""Bluesky adapter over recorded fixtures, plus the base's status mapping."""

from __future__ import annotations

import httpx
import pytest

from bot.errors import ParseError, RateLimitedError, TimeoutError_, TransientError
from bot.platforms.base import Missing, Observation, Target
from bot.platforms.bluesky import Bluesky
from tests.helpers.adapters import fetch, fetch_strict, fixture, routes

PROFILES = "/xrpc/app.bsky.actor.getProfiles"
PROFILE = "/xrpc/app.bsky.actor.getProfile"


# Bluesky --------------------------------------------------------------------------------


def _profiles_of(handles: list[str]) -> httpx.Response:
    template = fixture("bluesky/getprofiles-one-actor.json")["body"]["profiles"][0]
    profiles = [
        {**template, "handle": h, "did": f"did:plc:{i:024d}", "followersCount": 100 + i}
        for i, h in enumerate(handles)
    ]
    return httpx.Response(200, json={"profiles": profiles})


def test_bluesky_recorded_profile() -> None:
    transport, seen = routes({PROFILES: "bluesky/getprofiles-one-actor.json"})
    [result] = fetch(Bluesky(), transport, [Target("chriskenny.bsky.social")])
    assert isinstance(result, Observation)
    assert result.platform_id == "did:plc:wpe35pganb6d4pg4ekmfy6u5"
    assert (result.followers, result.following, result.posts) == (554, 296, 65)
    assert seen[0].url.host == "public.api.bsky.app"
    assert seen[0].url.params.get_list("actors") == ["chriskenny.bsky.social"]


def test_bluesky_uses_did_once_known_so_a_rename_keeps_history() -> None:
    transport, seen = routes({PROFILES: "bluesky/getprofiles-one-actor.json"})
    [result] = fetch(
        Bluesky(), transport, [Target("old-name.bsky.social", "did:plc:wpe35pganb6d4pg4ekmfy6u5")]
    )
    assert isinstance(result, Observation)
    assert result.current_handle == "chriskenny.bsky.social"
    assert seen[0].url.params.get_list("actors") == ["did:plc:wpe35pganb6d4pg4ekmfy6u5"]


@pytest.mark.parametrize(
    ("fixture_name", "status", "message"),
    [
        ("bluesky/getprofile-400-not-found.json", "not_found", "Profile not found"),
        ("bluesky/getprofile-400-takedown.json", "suspended", "Account has been suspended"),
        ("bluesky/getprofile-400-deactivated.json", "not_found", "Account is deactivated"),
    ],
)
def test_bluesky_omitted_actor_is_explained_by_getprofile(
    fixture_name: str, status: str, message: str
) -> None:
    transport, seen = routes({PROFILES: "bluesky/getprofiles-empty.json", PROFILE: fixture_name})
    assert fetch(Bluesky(), transport, [Target("gone.bsky.social")]) == [
        Missing("gone.bsky.social", status, message)  # type: ignore[arg-type]
    ]
    assert [r.url.path for r in seen] == [PROFILES, PROFILE]


def test_bluesky_batch_of_25_is_one_request_in_target_order() -> None:
    handles = [f"user{i}.bsky.social" for i in range(25)]
    transport, seen = routes(
        {PROFILES: lambda req: _profiles_of(list(reversed(req.url.params.get_list("actors"))))}
    )
    results = fetch(Bluesky(), transport, [Target(h) for h in handles])
    assert len(seen) == 1
    assert [r.handle for r in results] == handles
    assert all(isinstance(r, Observation) for r in results)


def test_bluesky_60_accounts_make_three_batches() -> None:
    assert [
        len(b) for b in Bluesky().batches([Target(f"u{i}.bsky.social") for i in range(60)])
    ] == [25, 25, 10]


def test_bluesky_rate_limited_reads_reset_header() -> None:
    transport, _ = routes({PROFILES: "bluesky/error-429-rate-limited.json"})
    with pytest.raises(RateLimitedError) as caught:
        fetch(Bluesky(), transport, [Target("a.bsky.social")])
    assert caught.value.retry_after is not None


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ('{"profiles": [', ParseError),
        ('{"nothing": 1}', ParseError),
        ('{"profiles": [{"handle": "a.bsky.social", "followersCount": 1}]}', ParseError),
        (
            '{"profiles": [{"did": "did:plc:x", "handle": "a.bsky.social", '
            '"followersCount": "many"}]}',
            ParseError,
        ),
    ],
)
def test_bluesky_malformed_bodies_are_parse_errors(body: str, error: type) -> None:
    transport, _ = routes({PROFILES: lambda req: httpx.Response(200, content=body.encode())})
    with pytest.raises(error):
        fetch_strict(Bluesky(), transport, [Target("a.bsky.social")])


def test_missing_optional_counter_is_none_not_zero() -> None:
    profile = {"did": "did:plc:abc", "handle": "a.bsky.social", "followersCount": 7}
    transport, _ = routes({PROFILES: lambda req: httpx.Response(200, json={"profiles": [profile]})})
    [result] = fetch(Bluesky(), transport, [Target("a.bsky.social")])
    assert isinstance(result, Observation)
    assert (result.followers, result.following, result.posts) == (7, None, None)


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda req: httpx.Response(503, json={"error": "down"}), TransientError),
        (lambda req: httpx.Response(302, headers={"location": "https://login"}), Exception),
    ],
)
def test_server_errors_and_redirects(make: object, error: type) -> None:
    transport, _ = routes({PROFILES: make})  # type: ignore[dict-item]
    with pytest.raises(error):
        fetch(Bluesky(), transport, [Target("a.bsky.social")])


def test_timeout_becomes_timeout_error() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    transport, _ = routes({PROFILES: slow})
    with pytest.raises(TimeoutError_):
        fetch(Bluesky(), transport, [Target("a.bsky.social")])
