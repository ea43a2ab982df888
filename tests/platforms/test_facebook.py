"""Facebook Pages adapter over recorded and constructed Graph fixtures, and the simulator."""

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
from bot.platforms.facebook import Facebook
from bot.simulator.counters import counters_for
from bot.simulator.graph import GraphSim
from tests.helpers.adapters import fetch, fetch_strict, response_for, routes
from tests.helpers.simulator import running_simulator

MULTI = f"/{GRAPH_VERSION}/"
TOKEN = "EAAB-secret-page-token"
START = datetime(2026, 4, 11, 12, 0, tzinfo=UTC)


def adapter() -> Facebook:
    return Facebook(token=TOKEN)


# Recorded and constructed answers ---------------------------------------------------------


def test_recorded_multi_id_read_has_fans_but_no_followers() -> None:
    transport, seen = routes({MULTI: "facebook/pages-multi-ids-fan-count.json"})
    results = fetch(adapter(), transport, [Target("20531316728"), Target("19292868552")])
    app, dev = results
    assert isinstance(app, Observation) and isinstance(dev, Observation)
    assert (app.platform_id, app.current_handle, app.display_name) == (
        "20531316728",
        "facebookapp",
        "Facebook App",
    )
    # This older recording has no followers_count: unknown, never zero.
    assert (app.followers, app.following, app.posts) == (None, None, None)
    assert app.extra == {"fan_count": 210103936}
    assert dev.extra == {"fan_count": 7966989}
    request = seen[0]
    assert str(request.url).startswith("https://graph.facebook.com/v21.0/?")
    assert request.url.params["ids"] == "20531316728,19292868552"
    assert request.url.params["fields"] == "id,name,username,followers_count,fan_count"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(request.url)


def test_followers_and_a_page_without_fans() -> None:
    transport, _ = routes({MULTI: "facebook/pages-multi-ids-followers.json"})
    results = fetch(adapter(), transport, [Target("DGSN.MAROC"), Target("20531316728")])
    dgsn, app = results
    assert isinstance(dgsn, Observation) and isinstance(app, Observation)
    assert (dgsn.followers, dgsn.extra) == (1650342, {"fan_count": 1187001})
    assert (app.followers, app.extra) == (188000000, {})


def test_known_id_is_requested_instead_of_the_username() -> None:
    transport, seen = routes({MULTI: "facebook/pages-multi-ids-followers.json"})
    [result] = fetch(adapter(), transport, [Target("oldname", "20531316728")])
    assert isinstance(result, Observation) and result.handle == "oldname"
    assert seen[0].url.params["ids"] == "20531316728"


def test_unknown_alias_is_missing_and_the_rest_is_read_again() -> None:
    def graph(request: httpx.Request) -> httpx.Response:
        if "nosuchpage42" in request.url.params["ids"]:
            return response_for("facebook/error-803-alias-not-exist.json", request)
        return response_for("facebook/pages-multi-ids-followers.json", request)

    transport, seen = routes({MULTI: graph})
    targets = [Target("DGSN.MAROC"), Target("nosuchpage42"), Target("20531316728")]
    results = fetch(adapter(), transport, targets)
    assert isinstance(results[0], Observation) and isinstance(results[2], Observation)
    assert results[1] == Missing(
        "nosuchpage42",
        "not_found",
        "Graph error 803: (#803) Some of the aliases you requested do not exist: nosuchpage42",
    )
    assert [r.url.params["ids"] for r in seen] == [
        "DGSN.MAROC,nosuchpage42,20531316728",
        "DGSN.MAROC,20531316728",
    ]


# A table of whole-request failures -------------------------------------------------------

ERRORS: list[tuple[str, type[Exception], str]] = [
    ("facebook/error-190-invalid-token.json", AuthError, "Graph error 190"),
    ("facebook/error-100-missing-page-permission.json", AuthError, "Page Public Metadata"),
    ("facebook/error-100-ppca-needs-app-token.json", AuthError, "app token"),
    ("facebook/error-32-page-rate-limit.json", RateLimitedError, "Page request limit"),
    ("facebook/error-4-app-limit.json", RateLimitedError, "Application request limit"),
    # An unknown alias that is none of ours cannot be blamed on one Page.
    ("facebook/error-803-alias-not-exist.json", PlatformError, "aliases"),
]


@pytest.mark.parametrize(("fixture_name", "error", "words"), ERRORS)
def test_whole_request_failures(fixture_name: str, error: type[Exception], words: str) -> None:
    transport, _ = routes({MULTI: fixture_name})
    with pytest.raises(error) as caught:
        fetch(adapter(), transport, [Target("DGSN.MAROC")])
    assert type(caught.value) is error
    assert words in str(caught.value)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("fixture_name", "wait"),
    [("facebook/error-32-page-rate-limit.json", 420.0), ("facebook/error-4-app-limit.json", None)],
)
def test_throttle_wait_comes_from_the_business_use_case_header(
    fixture_name: str, wait: float | None
) -> None:
    transport, _ = routes({MULTI: fixture_name})
    with pytest.raises(RateLimitedError) as caught:
        fetch(adapter(), transport, [Target("DGSN.MAROC")])
    assert caught.value.retry_after == wait


def test_error_body_on_http_200_is_still_an_error() -> None:
    body = {"error": {"message": "Invalid OAuth access token.", "code": 190}}
    transport, _ = routes({MULTI: lambda req: httpx.Response(200, json=body)})
    with pytest.raises(AuthError):
        fetch(adapter(), transport, [Target("DGSN.MAROC")])


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ('{"DGSN.MAROC": {', ParseError),
        ("[1, 2]", ParseError),
        ('{"DGSN.MAROC": {"name": "no id", "followers_count": 3}}', ParseError),
        ('{"DGSN.MAROC": {"id": "1", "followers_count": "lots"}}', ParseError),
        ('{"DGSN.MAROC": "not an object"}', ParseError),
        ('{"error": {"message": "Something odd", "code": 12345}}', PlatformError),
    ],
)
def test_malformed_bodies(body: str, error: type[Exception]) -> None:
    transport, _ = routes({MULTI: lambda req: httpx.Response(200, content=body.encode())})
    with pytest.raises(error):
        fetch_strict(adapter(), transport, [Target("DGSN.MAROC")])


def test_page_absent_from_the_answer_is_not_found() -> None:
    body = {"a.page": {"id": "1", "followers_count": 5}}
    transport, _ = routes({MULTI: lambda req: httpx.Response(200, json=body)})
    results = fetch(adapter(), transport, [Target("A.Page"), Target("other.page")])
    assert isinstance(results[0], Observation) and results[0].followers == 5
    assert isinstance(results[1], Missing) and results[1].status == "not_found"


def test_120_pages_make_batches_of_50() -> None:
    targets = [Target(f"page{i}") for i in range(120)]
    assert [len(b) for b in adapter().batches(targets)] == [50, 50, 20]


# Handles and credentials ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("DGSN.MAROC", "DGSN.MAROC"), ("@facebookapp", "facebookapp"), ("20531316728", "20531316728")],
)
def test_handles_keep_their_case(raw: str, expected: str) -> None:
    assert Facebook.normalize_handle(raw) == expected


@pytest.mark.parametrize("raw", ["", "two words", ".dot", "a/b", "https://facebook.com/x"])
def test_bad_handles_say_what_is_expected(raw: str) -> None:
    with pytest.raises(ValueError, match="Page username or numeric id"):
        Facebook.normalize_handle(raw)


def test_token_is_required() -> None:
    assert "FACEBOOK_ACCESS_TOKEN is not set" in (Facebook().missing_credentials() or "")
    assert adapter().missing_credentials() is None


# Through the simulator --------------------------------------------------------------------


def test_through_the_simulator() -> None:
    async def main() -> None:
        clock = ManualClock(START)
        async with running_simulator(clock, platforms=[GraphSim]) as (sim, url):
            facebook = Facebook(base_url=url, allow_private_addresses=True, token="sim-token")
            targets = [Target("DGSN.MAROC"), Target("missing.page"), Target("suspended.page")]
            async with make_client() as client:
                first = await facebook.fetch(client, targets)
                page = first[0]
                assert isinstance(page, Observation)
                want = counters_for("facebook", "DGSN.MAROC", clock())
                assert (page.followers, page.following, page.posts) == (want.followers, None, None)
                assert page.extra["fan_count"] == want.followers * 9 // 10
                # Graph has no "suspended": a Page it will not show does not exist for it.
                assert [getattr(r, "status", None) for r in first[1:]] == ["not_found"] * 2
                again = await facebook.fetch(client, [Target("DGSN.MAROC", page.platform_id)])
                assert isinstance(again[0], Observation)
                assert again[0].platform_id == page.platform_id
                with pytest.raises(AuthError):
                    await Facebook(
                        base_url=url, allow_private_addresses=True, token="bad-token"
                    ).fetch(client, targets)
                sim.inject(MULTI, "429")
                with pytest.raises(RateLimitedError) as caught:
                    await facebook.fetch(client, targets)
                assert caught.value.retry_after == 30
            assert sim.requests[MULTI] == 5

    asyncio.run(main())
