"""Mastodon adapter over recorded fixtures: a table of cases."""

from __future__ import annotations

import pytest

from bot.errors import AuthError, PlatformError, RateLimitedError
from bot.platforms.base import Missing, Observation, Target
from bot.platforms.mastodon import Mastodon
from tests.helpers.adapters import fetch, routes

LOOKUP = "/api/v1/accounts/lookup"
BATCH = "/api/v1/accounts"


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
        ("a@mastodon\u3002social", "a@mastodon.social"),
        ("a@MASTODON\uff0esocial.", "a@mastodon.social"),
        ("a@b\u00fccher.social", "a@b\u00fccher.social"),
        # The instance is a bare host name: nothing that would change where a request goes.
        ("a@mastodon.social:8443", None),
        ("a@mastodon.social/evil", None),
        ("a@mastodon.social?x=1", None),
        ("a@mastodon.social#frag", None),
        ("a@user:pw@mastodon.social", None),
        ("a@[::1]", None),
        ("a@mastodon .social", None),
        ("a@.social", None),
    ],
)
def test_mastodon_handles(handle: str, ok: str | None) -> None:
    if ok is None:
        with pytest.raises(ValueError, match="user@instance"):
            Mastodon.normalize_handle(handle)
    else:
        assert Mastodon.normalize_handle(handle) == ok


@pytest.mark.parametrize(
    ("handle", "host"),
    [
        ("a@127.0.0.1", "127.0.0.1"),
        ("a@10.0.0.5", "10.0.0.5"),
        ("a@169.254.169.254", "169.254.169.254"),
        ("a@mastodon.localhost", "mastodon.localhost"),
    ],
)
def test_mastodon_private_instances_are_refused_before_any_request(handle: str, host: str) -> None:
    transport, seen = routes({LOOKUP: "mastodon/accounts-lookup-200.json"})
    instance = Mastodon.normalize_handle(handle)
    with pytest.raises(PlatformError) as caught:
        fetch(Mastodon(token="tok"), transport, [Target(instance)])
    assert str(caught.value) == (
        f"mastodon: refused: {host} resolves to a private address "
        "(set allow_private_addresses = true to allow)"
    )
    assert seen == []


def test_mastodon_private_instances_are_polled_when_allowed() -> None:
    transport, seen = routes({LOOKUP: "mastodon/accounts-lookup-200.json"})
    [result] = fetch(Mastodon(allow_private_addresses=True), transport, [Target("a@10.0.0.5")])
    assert isinstance(result, Observation) and seen[0].url.host == "10.0.0.5"


def test_mastodon_unicode_instances_are_requested_by_their_ascii_name() -> None:
    transport, seen = routes({LOOKUP: "mastodon/accounts-lookup-200.json"})
    fetch(Mastodon(), transport, [Target(Mastodon.normalize_handle("a@b\u00fccher.social"))])
    assert seen[0].url.raw_host == b"xn--bcher-kva.social"


def test_mastodon_batches_group_by_instance_and_cap_at_40() -> None:
    targets = [Target(f"u{i}@a.social") for i in range(85)] + [Target("v@b.social")]
    sizes = [len(b) for b in Mastodon().batches(targets)]
    assert sizes == [40, 40, 5, 1]
