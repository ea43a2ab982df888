"""Twitch adapter over recorded fixtures: a table of cases, then the simulator."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import httpx
import pytest

from bot.clock import ManualClock
from bot.errors import AuthError, ParseError, PlatformError, RateLimitedError
from bot.http.client import make_client
from bot.platforms.base import FetchResult, Missing, Observation, Target
from bot.platforms.twitch import Twitch
from bot.simulator.counters import counters_for
from bot.simulator.twitch import TwitchSim
from tests.helpers.adapters import Handler, fetch, fetch_strict, response_for, routes
from tests.helpers.simulator import running_simulator

START = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
CREDENTIALS = "my-client-id:my-app-token"
USERS = "/helix/users"
FOLLOWERS = "/helix/channels/followers"
OK = {
    USERS: "twitch/helix-users-two-logins.json",
    FOLLOWERS: "twitch/channels-followers-total.json",
}


def twitch() -> Twitch:
    """An adapter with well-formed credentials on the real origin."""
    return Twitch(token=CREDENTIALS)


def with_reset_in(name: str, seconds: int) -> Handler:
    """Serve fixture ``name`` with a ``Ratelimit-Reset`` epoch ``seconds`` from now."""

    def handle(request: httpx.Request) -> httpx.Response:
        recorded = response_for(name, request)
        headers = {
            **recorded.headers,
            "Ratelimit-Limit": "800",
            "Ratelimit-Remaining": "0",
            "Ratelimit-Reset": str(int(time.time()) + seconds),
        }
        return httpx.Response(
            recorded.status_code, headers=headers, content=recorded.content, request=request
        )

    return handle


def test_logins_in_one_users_request_then_one_follower_total_each() -> None:
    transport, seen = routes(dict(OK))
    results = fetch(twitch(), transport, [Target("sodapoppin"), Target("summit1g")])
    assert results == [
        Observation(
            handle="sodapoppin",
            platform_id="26301881",
            followers=8,
            following=None,
            posts=None,
            display_name="sodapoppin",
            current_handle="sodapoppin",
            extra={"broadcaster_type": "partner"},
        ),
        Observation(
            handle="summit1g",
            platform_id="26490481",
            followers=8,
            following=None,
            posts=None,
            display_name="summit1g",
            current_handle="summit1g",
            extra={"broadcaster_type": "partner"},
        ),
    ]
    assert [r.url.path for r in seen] == [USERS, FOLLOWERS, FOLLOWERS]
    assert str(seen[0].url).startswith("https://api.twitch.tv/helix/users?")
    assert seen[0].url.params.get_list("login") == ["sodapoppin", "summit1g"]
    assert [r.url.params["broadcaster_id"] for r in seen[1:]] == ["26301881", "26490481"]
    assert seen[1].url.params["first"] == "1"
    for request in seen:
        assert request.headers["Client-Id"] == "my-client-id"
        assert request.headers["Authorization"] == "Bearer my-app-token"


def test_known_ids_are_queried_by_id_so_renames_keep_history() -> None:
    transport, seen = routes(dict(OK))
    targets = [Target("old_name", "26301881"), Target("summit1g")]
    results = fetch(twitch(), transport, targets)
    assert isinstance(results[0], Observation)
    assert (results[0].platform_id, results[0].current_handle) == ("26301881", "sodapoppin")
    assert seen[0].url.params.get_list("id") == ["26301881"]
    assert seen[0].url.params.get_list("login") == ["summit1g"]


@pytest.mark.parametrize(
    ("table", "targets", "expected"),
    [
        (
            OK,
            ["sodapoppin", "summit1g", "missing_one"],
            [
                Observation,
                Observation,
                Missing("missing_one", "not_found", "no Twitch user with this login"),
            ],
        ),
        (
            {USERS: "twitch/users-empty.json"},
            ["no_such_login_xyz"],
            [Missing("no_such_login_xyz", "not_found", "no Twitch user with this login")],
        ),
    ],
    ids=["partial-batch", "not-found"],
)
def test_absent_users_become_not_found(
    table: dict[str, str], targets: list[str], expected: list[object]
) -> None:
    transport, seen = routes(dict(table))
    results = fetch(twitch(), transport, [Target(t) for t in targets])
    for result, want in zip(results, expected, strict=True):
        if isinstance(want, type):
            assert isinstance(result, want)
        else:
            assert result == want
    # No follower request is spent on an account that does not exist.
    assert [r.url.path for r in seen].count(FOLLOWERS) == sum(
        isinstance(r, Observation) for r in results
    )


@pytest.mark.parametrize(
    ("table", "error", "retry_after"),
    [
        ({USERS: "twitch/error-401-invalid-oauth-token.json"}, AuthError, None),
        ({**OK, FOLLOWERS: "twitch/error-401-invalid-oauth-token.json"}, AuthError, None),
        ({USERS: "twitch/error-429-request-limit-exceeded.json"}, RateLimitedError, None),
        (
            {USERS: with_reset_in("twitch/error-429-request-limit-exceeded.json", 45)},
            RateLimitedError,
            45,
        ),
        ({USERS: "twitch/error-400-must-provide-id-or-login.json"}, PlatformError, None),
        ({USERS: "twitch/users-without-id.json"}, ParseError, None),
        ({**OK, FOLLOWERS: "twitch/channels-followers-without-total.json"}, ParseError, None),
        ({USERS: lambda r: httpx.Response(200, text="<html>", request=r)}, ParseError, None),
    ],
    ids=[
        "bad-token",
        "bad-token-on-followers",
        "rate-limited-no-headers",
        "rate-limited-reset-epoch",
        "bad-request",
        "malformed-user",
        "malformed-followers",
        "not-json",
    ],
)
def test_whole_request_failures(
    table: dict[str, str | Handler], error: type[PlatformError], retry_after: float | None
) -> None:
    transport, _ = routes(dict(table))
    with pytest.raises(error) as caught:
        fetch_strict(twitch(), transport, [Target("sodapoppin")])
    assert type(caught.value) is error
    assert "my-app-token" not in str(caught.value)
    if isinstance(caught.value, RateLimitedError):
        if retry_after is None:
            assert caught.value.retry_after is None
        else:
            assert caught.value.retry_after == pytest.approx(retry_after, abs=2)


@pytest.mark.parametrize("credentials", ["no-colon-token", ":token", "client:", None])
def test_malformed_credentials_are_refused_before_any_request(credentials: str | None) -> None:
    adapter = Twitch(token=credentials)
    assert "TWITCH_CREDENTIALS" in (adapter.missing_credentials() or "")
    transport, seen = routes(dict(OK))
    with pytest.raises(AuthError):
        fetch(adapter, transport, [Target("sodapoppin")])
    assert seen == []


@pytest.mark.parametrize(
    ("handle", "expected"),
    [
        ("Sodapoppin", "sodapoppin"),
        ("@summit1g", "summit1g"),
        ("under_score_9", "under_score_9"),
        ("a" * 25, "a" * 25),
        ("a" * 26, None),
        ("has-hyphen", None),
        ("has space", None),
        ("", None),
    ],
)
def test_handles(handle: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="Twitch login"):
            Twitch.normalize_handle(handle)
    else:
        assert Twitch.normalize_handle(handle) == expected


def test_batches_cap_at_100() -> None:
    targets = [Target(f"user{i}") for i in range(230)]
    assert [len(b) for b in twitch().batches(targets)] == [100, 100, 30]


def test_through_the_simulator() -> None:
    async def main() -> None:
        clock = ManualClock(START)
        async with running_simulator(clock, platforms=[TwitchSim]) as (sim, url):
            adapter = Twitch(
                base_url=url, allow_private_addresses=True, token="sim-client:sim-token"
            )
            targets = [Target("streamer_one"), Target("missing_one"), Target("suspended_two")]
            async with make_client() as client:
                first: list[FetchResult] = await adapter.fetch(client, targets)
                found = first[0]
                assert isinstance(found, Observation)
                assert found.followers == counters_for("twitch", "streamer_one", clock()).followers
                assert (found.following, found.posts) == (None, None)
                assert first[1] == Missing(
                    "missing_one", "not_found", "no Twitch user with this login"
                )
                assert isinstance(first[2], Missing) and first[2].status == "not_found"
                again = await adapter.fetch(client, [Target("streamer_one", found.platform_id)])
                assert isinstance(again[0], Observation)
                assert again[0].platform_id == found.platform_id
                with pytest.raises(AuthError):
                    await Twitch(
                        base_url=url, allow_private_addresses=True, token="sim-client:bad-token"
                    ).fetch(client, targets)
                sim.inject(USERS, "429")
                with pytest.raises(RateLimitedError) as caught:
                    await adapter.fetch(client, targets)
                assert caught.value.retry_after == 30
            assert sim.requests[USERS] == 4 and sim.requests[FOLLOWERS] == 2

    asyncio.run(main())
