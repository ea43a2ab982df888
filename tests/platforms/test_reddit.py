"""Reddit adapter over recorded fixtures: token handling, a table of cases, then the simulator."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.clock import ManualClock
from bot.config import load_settings
from bot.errors import AuthError, ParseError, PlatformError, RateLimitedError
from bot.http.client import make_client
from bot.platforms.base import FetchResult, Missing, MissingStatus, Observation, Target
from bot.platforms.reddit import Reddit
from bot.simulator.counters import counters_for
from bot.simulator.reddit import RedditSim
from tests.helpers.adapters import Handler, fetch, fetch_strict, response_for, routes
from tests.helpers.simulator import running_simulator

START = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
CREDENTIALS = "my-client-id:my-client-secret"
TOKEN_PATH = "/api/v1/access_token"
ANNOUNCEMENTS = "/r/announcements/about"


def reddit(base_url: str | None = "http://sim") -> Reddit:
    """An adapter with well-formed credentials."""
    return Reddit(base_url=base_url, token=CREDENTIALS)


def numbered_tokens() -> Handler:
    """A token endpoint handing out ``tok-1``, ``tok-2``… so renewals are visible."""
    issued = 0

    def handle(request: httpx.Request) -> httpx.Response:
        nonlocal issued
        issued += 1
        body = {"access_token": f"tok-{issued}", "token_type": "bearer", "expires_in": 86400}
        return httpx.Response(200, json=body, request=request)

    return handle


def sequence(*names: str) -> Handler:
    """Serve the fixtures in order, the last one from then on."""
    queue = list(names)

    def handle(request: httpx.Request) -> httpx.Response:
        name = queue.pop(0) if len(queue) > 1 else queue[0]
        return response_for(name, request)

    return handle


def run(adapter: Reddit, transport: httpx.MockTransport, polls: Sequence[Sequence[Target]]) -> None:
    """Several polls with one adapter on one event loop (the poller's shape)."""

    async def go() -> None:
        async with make_client(transport=transport) as client:
            for targets in polls:
                await adapter.fetch(client, targets)

    asyncio.run(go())


def test_token_then_subreddit_about_on_the_real_hosts() -> None:
    transport, seen = routes(
        {
            TOKEN_PATH: "reddit/token-200.json",
            ANNOUNCEMENTS: "reddit/subreddit-about-announcements.json",
        }
    )
    [result] = fetch(reddit(base_url=None), transport, [Target("r/announcements")])
    assert result == Observation(
        handle="r/announcements",
        platform_id="t5_2r0ij",
        followers=47456009,
        following=None,
        posts=None,
        display_name="Official Reddit announcements",
        current_handle="r/announcements",
        extra={"active_user_count": 727},
    )
    token_request, api_request = seen
    assert (token_request.method, token_request.url.host) == ("POST", "www.reddit.com")
    basic = base64.b64encode(CREDENTIALS.encode()).decode()
    assert token_request.headers["Authorization"] == f"Basic {basic}"
    assert token_request.content == b"grant_type=client_credentials"
    assert (api_request.url.host, api_request.url.path) == ("oauth.reddit.com", ANNOUNCEMENTS)
    assert api_request.headers["Authorization"] == "bearer REDACTED-app-only-token"


def test_user_followers_are_the_profile_subreddit_subscribers() -> None:
    transport, _ = routes(
        {
            TOKEN_PATH: "reddit/token-200.json",
            "/user/Lil_SpazBot/about": "reddit/user-about-other-user.json",
        }
    )
    [result] = fetch(reddit(), transport, [Target("u/Lil_SpazBot")])
    assert result == Observation(
        handle="u/Lil_SpazBot",
        platform_id="t2_3ebyblla",
        followers=0,
        following=None,
        posts=None,
        display_name="x",
        current_handle="u/Lil_SpazBot",
        extra={"link_karma": 1, "comment_karma": 0, "total_karma": 1},
    )


def test_known_fullnames_share_one_api_info_and_dropped_ones_fall_back_to_about() -> None:
    transport, seen = routes(
        {
            TOKEN_PATH: "reddit/token-200.json",
            "/api/info": "reddit/api-info-subreddit-by-fullname.json",
            "/r/gonesub/about": "reddit/subreddit-about-404-banned.json",
        }
    )
    targets = [Target("r/<TEST_SUBREDDIT>", "t5_3nwlq"), Target("r/gonesub", "t5_gone1")]
    results = fetch(reddit(), transport, targets)
    first = results[0]
    assert isinstance(first, Observation)
    assert (first.platform_id, first.followers, first.extra) == ("t5_3nwlq", 1, {})
    assert results[1] == Missing("r/gonesub", "not_found", "banned")
    assert [r.url.path for r in seen] == [TOKEN_PATH, "/api/info", "/r/gonesub/about"]
    assert seen[1].url.params["id"] == "t5_3nwlq,t5_gone1"


@pytest.mark.parametrize(
    ("handle", "fixture_name", "expected"),
    [
        ("u/gone_user", "reddit/user-about-404-not-found.json", ("not_found", "Not Found")),
        (
            "u/gone_user",
            "reddit/error-400-user-doesnt-exist.json",
            ("not_found", "that user doesn't exist"),
        ),
        ("u/gone_user", "reddit/user-about-suspended.json", ("suspended", "account is suspended")),
        ("r/gonesub", "reddit/subreddit-about-404-banned.json", ("not_found", "banned")),
        ("r/gonesub", "reddit/subreddit-about-403-private.json", ("not_found", "private")),
        ("r/gonesub", "reddit/subreddit-about-403-quarantined.json", ("not_found", "quarantined")),
        ("r/gonesub", "reddit/subreddit-about-403-gated.json", ("not_found", "gated")),
        (
            "r/gonesub",
            "reddit/subreddit-about-302-search.json",
            ("not_found", "subreddit does not exist"),
        ),
    ],
    ids=[
        "user-404",
        "user-400",
        "user-suspended",
        "banned",
        "private",
        "quarantined",
        "gated",
        "never-existed",
    ],
)
def test_gone_targets_become_statuses(
    handle: str, fixture_name: str, expected: tuple[MissingStatus, str]
) -> None:
    kind, name = handle.split("/")
    path = f"/r/{name}/about" if kind == "r" else f"/user/{name}/about"
    transport, _ = routes({TOKEN_PATH: "reddit/token-200.json", path: fixture_name})
    assert fetch(reddit(), transport, [Target(handle)]) == [Missing(handle, *expected)]


@pytest.mark.parametrize(
    ("table", "error", "retry_after"),
    [
        ({TOKEN_PATH: "reddit/token-401-bad-client.json"}, AuthError, None),
        (
            {
                TOKEN_PATH: "reddit/token-200.json",
                ANNOUNCEMENTS: "reddit/error-401-invalid-token.json",
            },
            AuthError,
            None,
        ),
        (
            {
                TOKEN_PATH: "reddit/token-200.json",
                ANNOUNCEMENTS: "reddit/error-403-quarantined-subreddit.json",
            },
            AuthError,
            None,
        ),
        (
            {
                TOKEN_PATH: "reddit/token-200.json",
                ANNOUNCEMENTS: "reddit/error-429-too-many-requests.json",
            },
            RateLimitedError,
            342,
        ),
        ({TOKEN_PATH: "reddit/error-429-too-many-requests.json"}, RateLimitedError, 342),
        (
            {
                TOKEN_PATH: "reddit/token-200.json",
                ANNOUNCEMENTS: "reddit/subreddit-about-without-ids.json",
            },
            ParseError,
            None,
        ),
        (
            {
                TOKEN_PATH: "reddit/token-200.json",
                ANNOUNCEMENTS: "reddit/user-about-other-user.json",
            },
            ParseError,
            None,
        ),
        ({TOKEN_PATH: "reddit/user-about-other-user.json"}, ParseError, None),
    ],
    ids=[
        "bad-client-credentials",
        "bad-token-twice",
        "reasonless-403",
        "rate-limited-seconds",
        "token-rate-limited",
        "malformed-no-ids",
        "wrong-kind",
        "token-answer-without-token",
    ],
)
def test_whole_request_failures(
    table: dict[str, str], error: type[PlatformError], retry_after: float | None
) -> None:
    transport, _ = routes(dict(table))
    with pytest.raises(error) as caught:
        fetch_strict(reddit(), transport, [Target("r/announcements")])
    assert type(caught.value) is error
    assert "my-client-secret" not in str(caught.value)
    assert "REDACTED-app-only-token" not in str(caught.value)
    if isinstance(caught.value, RateLimitedError):
        assert caught.value.retry_after == retry_after


def test_one_token_serves_several_polls_and_concurrent_batches() -> None:
    transport, seen = routes(
        {TOKEN_PATH: numbered_tokens(), ANNOUNCEMENTS: "reddit/subreddit-about-announcements.json"}
    )
    adapter = reddit()
    run(adapter, transport, [[Target("r/announcements")]] * 3)

    async def concurrent() -> None:
        async with make_client(transport=transport) as client:
            await asyncio.gather(
                *(adapter.fetch(client, [Target("r/announcements")]) for _ in range(4))
            )

    asyncio.run(concurrent())
    assert [r.url.path for r in seen].count(TOKEN_PATH) == 1
    assert {r.headers["Authorization"] for r in seen if r.url.path == ANNOUNCEMENTS} == {
        "bearer tok-1"
    }


def test_token_is_renewed_after_a_401_and_the_request_retried() -> None:
    transport, seen = routes(
        {
            TOKEN_PATH: numbered_tokens(),
            ANNOUNCEMENTS: sequence(
                "reddit/subreddit-about-announcements.json",
                "reddit/error-401-invalid-token.json",
                "reddit/subreddit-about-announcements.json",
            ),
        }
    )
    adapter = reddit()
    run(adapter, transport, [[Target("r/announcements")]] * 2)
    api = [r.headers["Authorization"] for r in seen if r.url.path == ANNOUNCEMENTS]
    assert api == ["bearer tok-1", "bearer tok-1", "bearer tok-2"]
    assert [r.url.path for r in seen].count(TOKEN_PATH) == 2


def test_token_is_renewed_before_it_expires() -> None:
    transport, seen = routes(
        {TOKEN_PATH: numbered_tokens(), ANNOUNCEMENTS: "reddit/subreddit-about-announcements.json"}
    )
    now = [1000.0]
    adapter = Reddit(base_url="http://sim", token=CREDENTIALS, monotonic=lambda: now[0])
    run(adapter, transport, [[Target("r/announcements")]])
    now[0] += 86400 - 120  # still inside the lifetime minus the safety margin
    run(adapter, transport, [[Target("r/announcements")]])
    now[0] += 90  # within a minute of Reddit's expiry: renew first
    run(adapter, transport, [[Target("r/announcements")]])
    api = [r.headers["Authorization"] for r in seen if r.url.path == ANNOUNCEMENTS]
    assert api == ["bearer tok-1", "bearer tok-1", "bearer tok-2"]


@pytest.mark.parametrize("credentials", ["only-an-id", ":secret", "id:", ""])
def test_malformed_credentials_are_refused_before_any_request(credentials: str) -> None:
    adapter = Reddit(token=credentials or None)
    assert adapter.missing_credentials() is not None
    assert "REDDIT_CREDENTIALS" in (adapter.missing_credentials() or "")
    transport, seen = routes({})
    with pytest.raises(AuthError):
        fetch(adapter, transport, [Target("r/python")])
    assert seen == []


@pytest.mark.parametrize(
    ("handle", "expected"),
    [
        ("r/Python", "r/Python"),
        ("/R/Python/", "r/Python"),
        ("u/Some_User-1", "u/Some_User-1"),
        ("user/spez", "u/spez"),
        ("U/spez", "u/spez"),
        # Legacy names Reddit still looks up: reddit.com, two-letter languages, t: time ones.
        ("r/reddit.com", "r/reddit.com"),
        ("/r/Reddit.com/", "r/Reddit.com"),
        ("r/de", "r/de"),
        ("r/t:archaeology", "r/t:archaeology"),
        ("python", None),
        ("r/a", None),
        ("r/has-hyphen", None),
        ("r/other.com", None),
        ("r/reddit.com.evil", None),
        ("r/t:", None),
        ("u/some.user", None),
        ("u/ab", None),
        ("x/python", None),
        ("r/", None),
    ],
)
def test_handles(handle: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="r/<subreddit> or u/<user>"):
            Reddit.normalize_handle(handle)
    else:
        assert Reddit.normalize_handle(handle) == expected


def test_a_config_naming_r_reddit_com_loads_and_polls_its_own_path(tmp_path: Path) -> None:
    config = tmp_path / "accounts.toml"
    config.write_text('[[accounts]]\nplatform = "reddit"\nhandle = "/r/reddit.com"\n')
    [account] = load_settings(config, environ={"REDDIT_CREDENTIALS": CREDENTIALS}).accounts
    assert (account.platform, account.handle) == ("reddit", "r/reddit.com")
    data = {"display_name": "reddit.com", "name": "t5_6", "subscribers": 1021}

    def about(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"kind": "t5", "data": data})

    transport, seen = routes({TOKEN_PATH: "reddit/token-200.json", "/r/reddit.com/about": about})
    [result] = fetch(reddit(), transport, [Target(account.handle)])
    assert isinstance(result, Observation) and result.current_handle == "r/reddit.com"
    assert (result.platform_id, result.followers) == ("t5_6", 1021)
    assert seen[-1].url.raw_path == b"/r/reddit.com/about"


def test_subreddits_batch_together_and_users_alone() -> None:
    targets = [Target(f"r/sub{i}") for i in range(150)] + [Target("u/a_user"), Target("u/b_user")]
    assert [len(b) for b in reddit().batches(targets)] == [100, 50, 1, 1]


def test_through_the_simulator() -> None:
    async def main() -> None:
        clock = ManualClock(START)
        async with running_simulator(clock, platforms=[RedditSim]) as (sim, url):
            [reddit_sim] = sim.platforms
            assert isinstance(reddit_sim, RedditSim)
            adapter = Reddit(
                base_url=url, allow_private_addresses=True, token="sim-client:sim-secret"
            )
            targets = [
                Target("r/Python"),
                Target("u/spez"),
                Target("r/missingsub"),
                Target("r/suspendedsub"),
                Target("r/privatesub"),
                Target("u/missing_user"),
                Target("u/suspended_user"),
            ]
            async with make_client() as client:
                first: list[FetchResult] = await adapter.fetch(client, targets)
                sub, user = first[0], first[1]
                assert isinstance(sub, Observation) and isinstance(user, Observation)
                assert sub.followers == counters_for("reddit", "r/Python", clock()).followers
                assert user.followers == counters_for("reddit", "u/spez", clock()).followers
                assert sub.platform_id.startswith("t5_") and user.platform_id.startswith("t2_")
                assert first[2] == Missing("r/missingsub", "not_found", "subreddit does not exist")
                assert first[3] == Missing("r/suspendedsub", "not_found", "banned")
                assert first[4] == Missing("r/privatesub", "not_found", "private")
                assert first[5] == Missing("u/missing_user", "not_found", "Not Found")
                assert first[6] == Missing("u/suspended_user", "suspended", "account is suspended")
                reddit_sim.revoke_tokens()
                again = await adapter.fetch(client, [Target("r/Python", sub.platform_id)])
                assert isinstance(again[0], Observation)
                assert again[0].followers == sub.followers
                with pytest.raises(AuthError):
                    await Reddit(
                        base_url=url, allow_private_addresses=True, token="sim-client:bad-token"
                    ).fetch(client, targets)
                sim.inject("/r/Python/about", "429")
                with pytest.raises(RateLimitedError) as caught:
                    await adapter.fetch(client, [Target("r/Python")])
                assert caught.value.retry_after == 30
            # One token, then a renewal after the revocation (and one refused attempt).
            assert sim.requests[TOKEN_PATH] == 3
            assert sim.requests["/api/info"] == 2  # refused once with the revoked token

    asyncio.run(main())
