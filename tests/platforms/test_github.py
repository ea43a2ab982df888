"""GitHub adapter over recorded fixtures: a table of cases, then the simulator."""

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
from bot.platforms.github import GitHub
from bot.simulator.counters import counters_for
from bot.simulator.github import GitHubSim
from tests.helpers.adapters import Handler, fetch, response_for, routes
from tests.helpers.simulator import running_simulator

START = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
TOKEN = "ghp_secretvalue123"


def with_reset_in(name: str, seconds: int) -> Handler:
    """Serve fixture ``name`` with its x-ratelimit-reset moved to ``seconds`` from now."""

    def handle(request: httpx.Request) -> httpx.Response:
        recorded = response_for(name, request)
        headers = {**recorded.headers, "x-ratelimit-reset": str(int(time.time()) + seconds)}
        return httpx.Response(
            recorded.status_code, headers=headers, content=recorded.content, request=request
        )

    return handle


def test_lookup_by_login_sends_the_api_headers_and_parses_counters() -> None:
    transport, seen = routes({"/users/jacquev6": "github/users-get-authenticated-token-2025.json"})
    [result] = fetch(GitHub(), transport, [Target("jacquev6")])
    assert result == Observation(
        handle="jacquev6",
        platform_id="327146",
        followers=98,
        following=62,
        posts=38,
        display_name="Vincent Jacques",
        current_handle="jacquev6",
        extra={"public_gists": 18, "type": "User"},
    )
    request = seen[0]
    assert str(request.url) == "https://api.github.com/users/jacquev6"
    assert request.headers["Accept"] == "application/vnd.github+json"
    assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert "Authorization" not in request.headers


def test_known_id_uses_the_stable_path_and_the_token() -> None:
    transport, seen = routes({"/user/583231": "github/user-by-id-unauthenticated-2020.json"})
    adapter = GitHub(base_url="http://sim/", token=TOKEN)
    [result] = fetch(adapter, transport, [Target("old-name", "583231")])
    assert isinstance(result, Observation)
    assert (result.platform_id, result.current_handle) == ("583231", "octocat")
    assert (result.followers, result.following, result.posts) == (3222, 9, 8)
    assert str(seen[0].url) == "http://sim/user/583231"
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_organisation_type_goes_to_extra() -> None:
    transport, _ = routes({"/users/github": "github/org-by-login.json"})
    [result] = fetch(GitHub(), transport, [Target("github")])
    assert isinstance(result, Observation)
    assert result.extra == {"public_gists": 0, "type": "Organization"}
    assert result.following == 0 and result.posts == 512


def test_one_request_per_account_and_a_missing_one_does_not_spoil_the_other() -> None:
    transport, seen = routes(
        {
            "/users/jacquev6": "github/users-get-authenticated-token-2025.json",
            "/users/gone": "github/error-404-unknown-user.json",
        }
    )
    results = fetch(GitHub(), transport, [Target("jacquev6"), Target("gone")])
    assert isinstance(results[0], Observation)
    assert results[1] == Missing("gone", "not_found", "Not Found")
    assert [r.url.path for r in seen] == ["/users/jacquev6", "/users/gone"]


def test_rate_limit_403_is_not_a_permission_403() -> None:
    limited, _ = routes({"/users/x": "github/error-403-primary-rate-limit-exceeded.json"})
    forbidden, _ = routes({"/users/x": "github/error-403-resource-not-accessible.json"})
    with pytest.raises(RateLimitedError) as rate:
        fetch(GitHub(), limited, [Target("x")])
    with pytest.raises(AuthError) as auth:
        fetch(GitHub(), forbidden, [Target("x")])
    assert rate.value.http_status == auth.value.http_status == 403
    assert "not accessible" in auth.value.message


@pytest.mark.parametrize(
    ("entry", "error", "retry_after"),
    [
        ("github/error-401-bad-credentials.json", AuthError, None),
        ("github/error-403-resource-not-accessible.json", AuthError, None),
        ("github/error-403-primary-rate-limit-exceeded.json", RateLimitedError, None),
        (
            with_reset_in("github/error-403-primary-rate-limit-current.json", 600),
            RateLimitedError,
            600,
        ),
        ("github/error-403-secondary-limit-retry-after.json", RateLimitedError, 60),
        ("github/error-403-secondary-limit-no-retry-after.json", RateLimitedError, 60),
        ("github/user-without-id.json", ParseError, None),
        ("github/error-200-html.json", ParseError, None),
    ],
    ids=[
        "bad-token",
        "permission-403",
        "primary-recorded-no-reset",
        "primary-reset-epoch",
        "secondary-retry-after",
        "secondary-default-wait",
        "malformed-no-id",
        "malformed-html",
    ],
)
def test_whole_request_failures(
    entry: str | Handler, error: type[PlatformError], retry_after: float | None
) -> None:
    transport, _ = routes({"/users/octocat": entry})
    with pytest.raises(error) as caught:
        fetch(GitHub(token=TOKEN), transport, [Target("octocat")])
    assert type(caught.value) is error
    assert TOKEN not in str(caught.value)
    if isinstance(caught.value, RateLimitedError):
        if retry_after is None:
            assert caught.value.retry_after is None
        else:
            assert caught.value.retry_after == pytest.approx(retry_after, abs=2)


@pytest.mark.parametrize(
    ("handle", "expected"),
    [
        ("octocat", "octocat"),
        ("@Octocat", "octocat"),
        ("  some-user ", "some-user"),
        ("a" * 39, "a" * 39),
        ("a" * 40, None),
        ("-leading", None),
        ("has space", None),
        ("under_score", None),
        ("", None),
    ],
)
def test_handles(handle: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="GitHub login"):
            GitHub.normalize_handle(handle)
    else:
        assert GitHub.normalize_handle(handle) == expected


def test_through_the_simulator() -> None:
    async def main() -> None:
        clock = ManualClock(START)
        async with running_simulator(clock, platforms=[GitHubSim]) as (sim, url):
            github = GitHub(base_url=url, allow_private_addresses=True, token="sim-token")
            targets = [Target("octocat"), Target("missing-one"), Target("suspended-two")]
            async with make_client() as client:
                first: list[FetchResult] = await github.fetch(client, targets)
                found = first[0]
                assert isinstance(found, Observation)
                want = counters_for("github", "octocat", clock())
                assert (found.followers, found.following, found.posts) == (
                    want.followers,
                    want.following,
                    want.posts,
                )
                # GitHub answers 404 for suspended accounts too: both are "not_found".
                assert first[1] == Missing("missing-one", "not_found", "Not Found")
                assert first[2] == Missing("suspended-two", "not_found", "Not Found")
                again = await github.fetch(client, [Target("octocat", found.platform_id)])
                assert isinstance(again[0], Observation)
                assert again[0].platform_id == found.platform_id
                with pytest.raises(AuthError):
                    await GitHub(
                        base_url=url, allow_private_addresses=True, token="bad-token"
                    ).fetch(client, targets)
                sim.inject("/users/octocat", "429")
                with pytest.raises(RateLimitedError) as caught:
                    await github.fetch(client, targets)
                assert caught.value.retry_after == 30
            assert sim.requests[f"/user/{found.platform_id}"] == 1
            assert sim.requests["/users/octocat"] == 3

    asyncio.run(main())
