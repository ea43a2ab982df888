"""X adapter over recorded and constructed fixtures, request counting, and the simulator."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.clock import ManualClock
from bot.errors import AuthError, ParseError, PlatformError, RateLimitedError
from bot.http.client import make_client
from bot.platforms.base import FetchResult, Missing, Observation, Target
from bot.platforms.x import X
from bot.simulator.counters import counters_for
from bot.simulator.x import XSim
from tests.helpers.adapters import fetch, fetch_strict, routes
from tests.helpers.simulator import running_simulator

BY = "/2/users/by"
IDS = "/2/users"
TOKEN = "x-secret-token-123"
START = datetime(2026, 4, 11, 12, 0, tzinfo=UTC)


def adapter() -> X:
    return X(token=TOKEN)


def _users(request: httpx.Request) -> httpx.Response:
    """Answer any batch: every requested username or id exists, in reverse order."""
    names = request.url.params.get("usernames")
    values = (names or request.url.params["ids"]).split(",")
    data = [
        {
            "id": v if names is None else str(1000 + i),
            "username": v if names is not None else f"user_{v}",
            "public_metrics": {"followers_count": i, "following_count": 1, "tweet_count": 2},
        }
        for i, v in enumerate(values)
    ]
    return httpx.Response(200, json={"data": list(reversed(data))})


# Recorded answers ---------------------------------------------------------------------


def test_recorded_batch_by_usernames() -> None:
    transport, seen = routes({BY: "x/v2-users-batch-public-metrics.json"})
    results = fetch(adapter(), transport, [Target("twitterdev"), Target("Twitter")])
    assert [type(r) for r in results] == [Observation, Observation]
    dev, twitter = results
    assert isinstance(dev, Observation) and isinstance(twitter, Observation)
    assert (dev.handle, dev.platform_id, dev.current_handle) == (
        "twitterdev",
        "2244994945",
        "TwitterDev",
    )
    assert (dev.followers, dev.following, dev.posts) == (514020, 2038, 3639)
    assert dev.extra == {"listed_count": 1676}
    assert twitter.followers == 58677711
    request = seen[0]
    assert request.url.host == "api.x.com"
    assert request.url.params["usernames"] == "twitterdev,Twitter"
    assert request.url.params["user.fields"] == "public_metrics"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(request.url)


def test_recorded_default_fields_give_none_not_zero() -> None:
    transport, _ = routes({BY: "x/v2-users-by-usernames-batch-default-fields.json"})
    [result] = fetch(adapter(), transport, [Target("Twitter")])
    assert isinstance(result, Observation)
    assert (result.followers, result.following, result.posts) == (None, None, None)


def test_known_id_is_queried_by_id_so_a_rename_keeps_history() -> None:
    transport, seen = routes({IDS: "x/v2-user-by-id-public-metrics.json"})
    [result] = fetch(adapter(), transport, [Target("OldName", "2244994945")])
    assert isinstance(result, Observation)
    assert result.current_handle == "TwitterDev"
    assert result.handle == "OldName"
    assert seen[0].url.path == IDS
    assert seen[0].url.params["ids"] == "2244994945"


# A table of cases ---------------------------------------------------------------------

CASES: list[tuple[str, str, list[Target], list[Any]]] = [
    (
        "partial batch: found, not found, suspended",
        "x/users-by-usernames-partial.json",
        [Target("TwitterDev"), Target("NoSuchUser"), Target("adfldf")],
        [
            Observation,
            Missing("NoSuchUser", "not_found", "Could not find user with usernames: [nosuchuser]."),
            Missing("adfldf", "suspended", "User has been suspended: [adfldf]."),
        ],
    ),
    (
        "suspended by id",
        "x/users-by-ids-suspended.json",
        [Target("gone", "481186914")],
        [Missing("gone", "suspended", "User has been suspended: [481186914].")],
    ),
    (
        "unknown id",
        "x/users-by-ids-not-found.json",
        [Target("deleted", "1234567890123")],
        [Missing("deleted", "not_found", "Could not find user with ids: [1234567890123].")],
    ),
]


@pytest.mark.parametrize(("case", "fixture_name", "targets", "expected"), CASES)
def test_per_account_outcomes(
    case: str, fixture_name: str, targets: list[Target], expected: list[Any]
) -> None:
    transport, seen = routes({BY: fixture_name, IDS: fixture_name})
    results = fetch(adapter(), transport, targets)
    assert len(seen) == 1, case
    for result, want in zip(results, expected, strict=True):
        if isinstance(want, type):
            assert isinstance(result, want)
        else:
            assert result == want


ERRORS: list[tuple[str, type[Exception], str]] = [
    ("x/error-401-unauthorized.json", AuthError, "Unauthorized"),
    ("x/error-403-client-forbidden.json", AuthError, "Client Forbidden"),
    ("x/error-429-usage-capped.json", AuthError, "UsageCapExceeded"),
    ("x/error-429-too-many-requests.json", RateLimitedError, "429"),
]


@pytest.mark.parametrize(("fixture_name", "error", "words"), ERRORS)
def test_whole_request_failures(fixture_name: str, error: type[Exception], words: str) -> None:
    transport, _ = routes({BY: fixture_name})
    with pytest.raises(error) as caught:
        fetch(adapter(), transport, [Target("TwitterDev")])
    assert type(caught.value) is error
    assert words in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_rate_limit_wait_comes_from_the_reset_epoch() -> None:
    transport, _ = routes({BY: "x/error-429-too-many-requests.json"})
    with pytest.raises(RateLimitedError) as caught:
        fetch(adapter(), transport, [Target("TwitterDev")])
    assert caught.value.retry_after is not None and caught.value.retry_after > 3600


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ('{"data": [', ParseError),
        ("{}", ParseError),
        ('{"data": {"oops": 1}, "errors": 3}', ParseError),
        ('{"data": [{"username": "a", "public_metrics": {"followers_count": 1}}]}', ParseError),
        (
            '{"data": [{"id": "1", "username": "a", "public_metrics": {"followers_count": -4}}]}',
            ParseError,
        ),
        ('{"data": [{"id": "1", "username": "a", "public_metrics": [1, 2]}]}', ParseError),
        ('{"errors": [{"title": "Invalid Request", "detail": "bad user.fields"}]}', PlatformError),
    ],
)
def test_malformed_bodies(body: str, error: type[Exception]) -> None:
    transport, _ = routes({BY: lambda req: httpx.Response(200, content=body.encode())})
    with pytest.raises(error):
        fetch_strict(adapter(), transport, [Target("a")])


def test_account_absent_from_data_and_errors_is_not_found_not_zero() -> None:
    body = {"data": [{"id": "1", "username": "a", "public_metrics": {"followers_count": 3}}]}
    transport, _ = routes({BY: lambda req: httpx.Response(200, json=body)})
    results = fetch(adapter(), transport, [Target("a"), Target("b")])
    assert isinstance(results[0], Observation) and results[0].followers == 3
    assert isinstance(results[1], Missing) and results[1].status == "not_found"


# Request counts -----------------------------------------------------------------------


def _poll(x: X, targets: list[Target]) -> tuple[list[FetchResult], int]:
    transport, seen = routes({BY: _users, IDS: _users})
    results: list[FetchResult] = []
    for batch in x.batches(targets):
        results += fetch(x, transport, batch)
    return results, len(seen)


def test_250_fresh_handles_take_exactly_3_requests() -> None:
    targets = [Target(f"user_{i}") for i in range(250)]
    results, requests = _poll(adapter(), targets)
    assert requests == 3
    assert [r.handle for r in results] == [t.handle for t in targets]
    assert all(isinstance(r, Observation) for r in results)


def test_250_known_ids_take_exactly_3_requests() -> None:
    targets = [Target(f"user_{i}", str(5000 + i)) for i in range(250)]
    results, requests = _poll(adapter(), targets)
    assert requests == 3
    assert all(
        isinstance(r, Observation) and r.platform_id == t.platform_id
        for r, t in zip(results, targets, strict=True)
    )


def test_a_mixed_batch_takes_two_requests() -> None:
    targets = [Target("fresh_one"), Target("known", "42"), Target("fresh_two")]
    results, requests = _poll(adapter(), targets)
    assert requests == 2
    assert [r.handle for r in results] == ["fresh_one", "known", "fresh_two"]


# Handles and credentials --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("DGSN_MAROC", "DGSN_MAROC"),
        ("@DGSN_MAROC", "DGSN_MAROC"),
        (" jack ", "jack"),
        ("a" * 15, "a" * 15),
    ],
)
def test_handles_keep_their_case(raw: str, expected: str) -> None:
    assert X.normalize_handle(raw) == expected


@pytest.mark.parametrize("raw", ["", "@", "a" * 16, "dgsn.maroc", "two words", "@@jack", "é"])
def test_bad_handles_say_what_is_expected(raw: str) -> None:
    with pytest.raises(ValueError, match="1-15 letters"):
        X.normalize_handle(raw)


def test_token_is_required() -> None:
    assert X().missing_credentials() == "X_BEARER_TOKEN is not set (see config/.env.example)"
    assert adapter().missing_credentials() is None


# Through the simulator ----------------------------------------------------------------


def test_through_the_simulator() -> None:
    async def main() -> None:
        clock = ManualClock(START)
        async with running_simulator(clock, platforms=[XSim]) as (sim, url):
            x = X(base_url=url, allow_private_addresses=True, token="sim-token")
            targets = [Target("DGSN_MAROC"), Target("missing_one"), Target("suspended_two")]
            async with make_client() as client:
                first = await x.fetch(client, targets)
                found = first[0]
                assert isinstance(found, Observation)
                want = counters_for("x", "DGSN_MAROC", clock())
                assert (found.followers, found.following, found.posts) == (
                    want.followers,
                    want.following,
                    want.posts,
                )
                assert first[1] == Missing(
                    "missing_one", "not_found", "Could not find user with usernames: [missing_one]."
                )
                assert isinstance(first[2], Missing) and first[2].status == "suspended"
                again = await x.fetch(client, [Target("DGSN_MAROC", found.platform_id)])
                assert isinstance(again[0], Observation)
                assert again[0].platform_id == found.platform_id
                with pytest.raises(AuthError):
                    await X(base_url=url, allow_private_addresses=True, token="bad-token").fetch(
                        client, targets
                    )
                sim.inject("/2/users/by", "429")
                with pytest.raises(RateLimitedError) as caught:
                    await x.fetch(client, targets)
                assert caught.value.retry_after == 30
            assert sim.requests["/2/users/by"] == 3 and sim.requests["/2/users"] == 1

    asyncio.run(main())
