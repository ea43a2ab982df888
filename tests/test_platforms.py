"""Adapters over recorded fixtures: a table of cases per platform."""

from __future__ import annotations

import json

import httpx
import pytest

from bot.errors import AuthError, ParseError, RateLimitedError, TimeoutError_, TransientError
from bot.platforms import ADAPTERS, REGISTRY
from bot.platforms.base import Missing, Observation, Target
from bot.platforms.bluesky import Bluesky
from bot.platforms.mastodon import Mastodon
from tests.adapter_helpers import FIXTURES, fetch, fixture, response_for, routes

LOOKUP = "/api/v1/accounts/lookup"
BATCH = "/api/v1/accounts"
PROFILES = "/xrpc/app.bsky.actor.getProfiles"
PROFILE = "/xrpc/app.bsky.actor.getProfile"


# Registry-wide properties ---------------------------------------------------------------


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
def test_every_adapter_declares_what_the_base_needs(adapter: type) -> None:
    assert adapter.__doc__ and adapter.__doc__.strip()
    assert adapter.batch_size >= 1
    assert adapter.rate_budget.requests > 0 and adapter.rate_budget.per_seconds > 0
    assert adapter.normalize_handle(adapter.example_handle)
    assert list((FIXTURES / adapter.name).glob("*.json")), "each adapter has recorded fixtures"


def test_registry_names_are_unique() -> None:
    assert len(REGISTRY) == len(ADAPTERS)


# Mastodon -------------------------------------------------------------------------------


def test_mastodon_lookup_recorded_200() -> None:
    transport, seen = routes({LOOKUP: "mastodon/accounts-lookup-200.json"})
    [result] = fetch(
        Mastodon(base_url="http://sim"), transport, [Target("mastodonpy_test@localhost.test")]
    )
    assert isinstance(result, Observation)
    assert result.platform_id == "117020565966271181@localhost.test"
    assert (result.followers, result.following, result.posts) == (0, 0, 0)
    assert result.display_name == "John Lennon"
    assert seen[0].url.params["acct"] == "mastodonpy_test"
    assert seen[0].url.host == "sim"


def test_mastodon_default_origin_is_the_instance() -> None:
    transport, seen = routes({LOOKUP: "mastodon/accounts-lookup-200.json"})
    fetch(Mastodon(), transport, [Target("mastodonpy_test@example.social")])
    assert str(seen[0].url).startswith("https://example.social/api/v1/accounts/lookup")


def test_mastodon_batch_by_known_ids_is_one_request() -> None:
    transport, seen = routes({BATCH: "mastodon/accounts-batch-by-ids.json"})
    targets = [
        Target("mastodonpy_test@localhost.test", "117020457910412882@localhost.test"),
        Target("mastodonpy_test_2@localhost.test", "117020458041994908@localhost.test"),
    ]
    results = fetch(Mastodon(base_url="http://sim"), transport, targets)
    assert [type(r) for r in results] == [Observation, Observation]
    assert len(seen) == 1
    assert seen[0].url.params.get_list("id[]") == ["117020457910412882", "117020458041994908"]


def test_mastodon_id_dropped_from_batch_falls_back_to_lookup() -> None:
    transport, seen = routes(
        {
            BATCH: "mastodon/accounts-batch-by-ids.json",
            LOOKUP: "mastodon/accounts-lookup-404-not-found.json",
        }
    )
    targets = [
        Target("mastodonpy_test@localhost.test", "117020457910412882@localhost.test"),
        Target("deleted@localhost.test", "999@localhost.test"),
    ]
    results = fetch(Mastodon(base_url="http://sim"), transport, targets)
    assert isinstance(results[0], Observation)
    assert results[1] == Missing("deleted@localhost.test", "not_found", "Record not found")
    assert [r.url.path for r in seen] == [BATCH, LOOKUP]


def test_mastodon_remote_account_counts_and_extra() -> None:
    transport, _ = routes({LOOKUP: "mastodon/account-by-id-mastodon-social.json"})
    [result] = fetch(Mastodon(), transport, [Target("halcy@mastodon.social")])
    assert isinstance(result, Observation)
    assert (result.followers, result.following, result.posts) == (3553, 540, 75076)
    assert result.extra["last_status_at"] == "2026-04-11"


@pytest.mark.parametrize(
    ("fixture_name", "expected"),
    [
        (
            "mastodon/accounts-lookup-404-not-found.json",
            Missing("x@a.social", "not_found", "Record not found"),
        ),
        (
            "mastodon/accounts-lookup-suspended.json",
            Missing("x@a.social", "suspended", "account is suspended"),
        ),
    ],
)
def test_mastodon_gone_accounts_become_statuses(fixture_name: str, expected: Missing) -> None:
    transport, _ = routes({LOOKUP: fixture_name})
    assert fetch(Mastodon(), transport, [Target("x@a.social")]) == [expected]


@pytest.mark.parametrize(
    ("fixture_name", "error"),
    [
        ("mastodon/error-401-invalid-token.json", AuthError),
        ("mastodon/error-429-too-many-requests.json", RateLimitedError),
    ],
)
def test_mastodon_whole_request_failures_raise(fixture_name: str, error: type) -> None:
    transport, _ = routes({LOOKUP: fixture_name})
    with pytest.raises(error):
        fetch(Mastodon(), transport, [Target("x@a.social")])


@pytest.mark.parametrize(
    ("handle", "ok"),
    [
        ("Gargron@Mastodon.Social", "Gargron@mastodon.social"),
        ("@a@b.social", "a@b.social"),
        ("nodomain", None),
        ("a@", None),
        ("a@localhost", None),
    ],
)
def test_mastodon_handles(handle: str, ok: str | None) -> None:
    if ok is None:
        with pytest.raises(ValueError, match="user@instance"):
            Mastodon.normalize_handle(handle)
    else:
        assert Mastodon.normalize_handle(handle) == ok


def test_mastodon_batches_group_by_instance_and_cap_at_40() -> None:
    targets = [Target(f"u{i}@a.social") for i in range(85)] + [Target("v@b.social")]
    sizes = [len(b) for b in Mastodon().batches(targets)]
    assert sizes == [40, 40, 5, 1]


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
        fetch(Bluesky(), transport, [Target("a.bsky.social")])


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


def test_fixture_bodies_are_json() -> None:
    for path in FIXTURES.glob("*/*.json"):
        data = json.loads(path.read_text())
        assert {"source", "status", "body"} <= set(data), path
        assert (
            response_for(
                str(path.relative_to(FIXTURES)), httpx.Request("GET", "http://x")
            ).status_code
            == data["status"]
        )
