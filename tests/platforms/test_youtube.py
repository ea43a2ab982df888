"""YouTube adapter over recorded and constructed fixtures, plus the simulator end to end."""

from __future__ import annotations

import asyncio
import traceback
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.clock import ManualClock
from bot.errors import AuthError, ParseError, PlatformError, RateLimitedError, TransientError
from bot.http.client import make_client
from bot.platforms.base import FetchResult, Missing, Observation, Target
from bot.platforms.youtube import YouTube, seconds_until_quota_reset, subscriber_precision
from bot.simulator.app import Simulator
from bot.simulator.counters import counters_for
from bot.simulator.youtube import YouTubeSim, channel_id, rounded
from tests.helpers.adapters import fetch, fetch_strict, fixture, routes
from tests.helpers.simulator import running_simulator

CHANNELS = "/youtube/v3/channels"
KEY = "AIzaSyTEST-key-never-to-be-shown_01"
GOOGLE_DEVS = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
GOOGLE = "UCK8sQmJBp8GCxrOtXWBpyEA"
GONE = "UCgonegonegonegonegone00"
HIDDEN = "UCaaaaaaaaaaaaaaaaaaaaaa"
ID = GOOGLE_DEVS.encode()
START = datetime(2026, 4, 11, 23, 12, 34, tzinfo=UTC)


def youtube() -> YouTube:
    return YouTube(token=KEY)


def shape(result: FetchResult) -> tuple[Any, ...]:
    """A comparable summary: kind, id and counts, or the missing status."""
    if isinstance(result, Missing):
        return ("missing", result.handle, result.status)
    return ("ok", result.platform_id, result.followers, result.posts, result.precision)


def test_recorded_single_channel_and_the_request_it_makes() -> None:
    transport, seen = routes({CHANNELS: "youtube/channels-list-single-statistics.json"})
    [result] = fetch(youtube(), transport, [Target(GOOGLE_DEVS)])
    assert isinstance(result, Observation)
    assert (result.followers, result.following, result.posts) == (1927873, None, 5026)
    assert result.precision == 1  # recorded before rounding: not a multiple of the step
    assert result.extra == {"views": 160361638}
    assert (result.display_name, result.current_handle) == (
        "Google Developers",
        "@googledevelopers",
    )
    url = seen[0].url
    assert (url.scheme, url.host, url.path) == ("https", "www.googleapis.com", CHANNELS)
    assert dict(url.params) == {
        "part": "snippet,statistics",
        "id": GOOGLE_DEVS,
        "maxResults": "50",
        "key": KEY,
    }
    assert "authorization" not in seen[0].headers


@pytest.mark.parametrize(
    ("fixture_name", "targets", "expected"),
    [
        pytest.param(
            "youtube/channels-list-two-ids-statistics.json",
            [GOOGLE_DEVS, GOOGLE],
            [
                ("ok", GOOGLE_DEVS, 2260000, 5652, 10000),
                ("ok", GOOGLE, 10700000, 2678, 100000),
            ],
            id="ok-two-ids-rounded",
        ),
        pytest.param(
            "youtube/channels-list-two-ids-statistics.json",
            [GOOGLE, GONE, GOOGLE_DEVS],
            [
                ("ok", GOOGLE, 10700000, 2678, 100000),
                ("missing", GONE, "not_found"),
                ("ok", GOOGLE_DEVS, 2260000, 5652, 10000),
            ],
            id="partial-batch",
        ),
        pytest.param(
            "youtube/channels-list-empty-not-found.json",
            [GONE],
            [("missing", GONE, "not_found")],
            id="not-found-no-items",
        ),
        pytest.param(
            "youtube/channels-list-hidden-subscribers.json",
            [HIDDEN],
            [("ok", HIDDEN, None, 12, 1)],
            id="hidden-subscriber-count",
        ),
    ],
)
def test_results_table(fixture_name: str, targets: list[str], expected: list[tuple[Any]]) -> None:
    transport, seen = routes({CHANNELS: fixture_name})
    results = fetch(youtube(), transport, [Target(t) for t in targets])
    assert [shape(r) for r in results] == expected
    assert len(seen) == 1
    assert seen[0].url.params["id"] == ",".join(targets)


@pytest.mark.parametrize(
    ("fixture_name", "error", "status", "retry_range"),
    [
        ("youtube/error-400-key-invalid.json", AuthError, 400, None),
        ("youtube/error-400-api-key-invalid-details.json", AuthError, 400, None),
        ("youtube/error-403-permission-denied.json", AuthError, 403, None),
        ("youtube/error-403-quota-exceeded.json", RateLimitedError, 403, (1.0, 25 * 3600.0)),
        ("youtube/error-429-rate-limit-exceeded.json", RateLimitedError, 429, (30.0, 30.0)),
    ],
)
def test_errors_table(
    fixture_name: str, error: type, status: int, retry_range: tuple[float, float] | None
) -> None:
    transport, _ = routes({CHANNELS: fixture_name})
    with pytest.raises(error) as caught:
        fetch(youtube(), transport, [Target(GOOGLE_DEVS)])
    exc = caught.value
    assert type(exc) is error
    assert exc.http_status == status
    assert KEY not in str(exc) and KEY not in repr(exc)
    if retry_range is not None:
        assert isinstance(exc, RateLimitedError) and exc.retry_after is not None
        assert retry_range[0] <= exc.retry_after <= retry_range[1]


def test_an_error_echoing_the_key_is_scrubbed() -> None:
    body = {"error": {"code": 400, "message": f"API key not valid: {KEY}", "errors": []}}
    transport, _ = routes({CHANNELS: lambda req: httpx.Response(400, json=body)})
    with pytest.raises(AuthError) as caught:
        fetch(youtube(), transport, [Target(GOOGLE_DEVS)])
    assert KEY not in str(caught.value)


@pytest.mark.parametrize("kind", [httpx.ReadTimeout, httpx.ConnectError])
def test_transport_errors_never_carry_the_key(kind: type[httpx.RequestError]) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise kind(f"failed for {request.url}", request=request)

    transport, _ = routes({CHANNELS: fail})
    with pytest.raises(TransientError) as caught:
        fetch(youtube(), transport, [Target(GOOGLE_DEVS)])
    assert caught.value.__context__ is None and caught.value.__cause__ is None
    assert KEY not in "".join(traceback.format_exception(caught.value))


@pytest.mark.parametrize(
    "body",
    [
        b'{"items": [',
        b"[]",
        b'{"items": {"id": "x"}}',
        b'{"items": [{"statistics": {"subscriberCount": "5"}}]}',
        b'{"items": [{"id": "%s", "statistics": {"subscriberCount": "1.2K"}}]}' % ID,
        b'{"items": [{"id": "%s", "statistics": "none"}]}' % ID,
    ],
    ids=["truncated", "array", "items-object", "no-id", "count-with-suffix", "stats-string"],
)
def test_malformed_bodies_are_parse_errors(body: bytes) -> None:
    transport, _ = routes({CHANNELS: lambda req: httpx.Response(200, content=body)})
    with pytest.raises(ParseError):
        fetch_strict(youtube(), transport, [Target(GOOGLE_DEVS)])


def test_other_bad_requests_are_platform_errors() -> None:
    body = {"error": {"code": 400, "message": "Invalid filter", "errors": []}}
    transport, _ = routes({CHANNELS: lambda req: httpx.Response(400, json=body)})
    with pytest.raises(PlatformError, match="Invalid filter"):
        fetch(youtube(), transport, [Target(GOOGLE_DEVS)])


@pytest.mark.parametrize(
    ("subscribers", "precision"),
    [
        (0, 1),
        (999, 1),
        (1000, 10),
        (12300, 100),
        (100000, 1000),
        (123000000, 1000000),
        (1927873, 1),  # not a multiple of its step: an exact (old) count
    ],
)
def test_rounding_precision(subscribers: int, precision: int) -> None:
    assert subscriber_precision(subscribers) == precision


def test_rounded_count_through_fetch_sets_precision() -> None:
    item = {"id": GOOGLE_DEVS, "statistics": {"subscriberCount": "12300", "videoCount": "3"}}
    transport, _ = routes({CHANNELS: lambda req: httpx.Response(200, json={"items": [item]})})
    [result] = fetch(youtube(), transport, [Target(GOOGLE_DEVS)])
    assert isinstance(result, Observation)
    assert (result.followers, result.precision, result.extra) == (12300, 100, {})


@pytest.mark.parametrize(
    ("now", "seconds"),
    [
        (datetime(2025, 1, 15, 8, 0, tzinfo=UTC), 86400),  # 00:00 PST: a full day ahead
        (datetime(2025, 1, 15, 7, 59, 59, tzinfo=UTC), 1),
        (datetime(2025, 7, 1, 6, 30, tzinfo=UTC), 1800),  # 23:30 PDT
        (datetime(2025, 3, 9, 8, 0, tzinfo=UTC), 23 * 3600),  # the day clocks spring forward
        (datetime(2025, 11, 2, 7, 0, tzinfo=UTC), 25 * 3600),  # the day clocks fall back
    ],
)
def test_quota_resets_at_pacific_midnight(now: datetime, seconds: int) -> None:
    assert seconds_until_quota_reset(now) == seconds


@pytest.mark.parametrize(
    ("handle", "normalised"),
    [
        (GOOGLE_DEVS, GOOGLE_DEVS),
        (" @GoogleDevelopers ", "@GoogleDevelopers"),
        ("@some.name-with_marks", "@some.name-with_marks"),
        ("GoogleDevelopers", None),
        ("UC_x5XG1OV2P6uZZ5FSM9Tt", None),  # 21 characters after UC
        ("@ab", None),
        ("@has space", None),
        ("", None),
    ],
)
def test_handles(handle: str, normalised: str | None) -> None:
    if normalised is None:
        with pytest.raises(ValueError, match="channel id"):
            YouTube.normalize_handle(handle)
    else:
        assert YouTube.normalize_handle(handle) == normalised


def test_handle_is_resolved_once_with_one_filter_then_read_by_id() -> None:
    transport, seen = routes({CHANNELS: "youtube/channels-list-single-statistics.json"})
    [first] = fetch(youtube(), transport, [Target("@GoogleDevelopers")])
    assert isinstance(first, Observation) and first.platform_id == GOOGLE_DEVS
    assert dict(seen[0].url.params) == {
        "part": "snippet,statistics",
        "forHandle": "@GoogleDevelopers",
        "key": KEY,
    }
    [again] = fetch(youtube(), transport, [Target("@GoogleDevelopers", first.platform_id)])
    assert isinstance(again, Observation) and again.handle == "@GoogleDevelopers"
    assert seen[1].url.params["id"] == GOOGLE_DEVS and "forHandle" not in seen[1].url.params


def test_unknown_handle_is_not_found() -> None:
    transport, _ = routes({CHANNELS: "youtube/channels-list-empty-not-found.json"})
    [result] = fetch(youtube(), transport, [Target("@nobody-here")])
    assert isinstance(result, Missing) and result.status == "not_found"


def _echo_channels(request: httpx.Request) -> httpx.Response:
    """Answer every requested id (in reverse order) with its own counts."""
    if "forHandle" in request.url.params:
        handle = request.url.params["forHandle"]
        ids = [f"UC{handle[1:]:_<22}"[:24]]
    else:
        ids = request.url.params["id"].split(",")
    items = [
        {"id": i, "statistics": {"subscriberCount": str(1000 + n), "videoCount": "1"}}
        for n, i in enumerate(reversed(ids))
    ]
    return httpx.Response(200, json={"items": items})


def test_120_known_channels_take_exactly_3_requests() -> None:
    adapter = youtube()
    targets = [
        Target(f"UC{n:022d}") if n % 2 else Target(f"@channel{n:03d}", f"UC{n:022d}")
        for n in range(120)
    ]
    transport, seen = routes({CHANNELS: _echo_channels})
    results = [r for batch in adapter.batches(targets) for r in fetch(adapter, transport, batch)]
    assert len(seen) == 3
    assert [len(r.url.params["id"].split(",")) for r in seen] == [50, 50, 20]
    assert all("forHandle" not in r.url.params for r in seen)
    assert [r.handle for r in results] == [t.handle for t in targets]
    assert all(isinstance(r, Observation) for r in results)
    assert [r.platform_id for r in results if isinstance(r, Observation)] == [
        f"UC{n:022d}" for n in range(120)
    ]


def test_unresolved_handles_cost_one_request_each_besides_the_id_batch() -> None:
    targets = [Target("@alpha-one"), Target(f"UC{1:022d}"), Target("@beta-two")]
    transport, seen = routes({CHANNELS: _echo_channels})
    results = fetch(youtube(), transport, targets)
    assert len(seen) == 3
    assert sorted("id" in r.url.params for r in seen) == [False, False, True]
    assert [r.handle for r in results] == ["@alpha-one", f"UC{1:022d}", "@beta-two"]


def test_fixture_ids_are_valid_channel_ids() -> None:
    for name in ("channels-list-hidden-subscribers.json", "channels-list-two-ids-statistics.json"):
        for item in fixture(f"youtube/{name}")["body"]["items"]:
            assert YouTube.normalize_handle(item["id"]) == item["id"]


# Through the simulator --------------------------------------------------------------------


def test_simulator_end_to_end() -> None:
    async def main() -> None:
        clock = ManualClock(START)
        async with (
            running_simulator(clock, platforms=[YouTubeSim]) as (simulator, url),
            make_client() as client,
        ):
            await scenario(simulator, client, clock, url)

    asyncio.run(main())


async def scenario(
    simulator: Simulator, client: httpx.AsyncClient, clock: ManualClock, url: str
) -> None:
    adapter = YouTube(base_url=url, allow_private_addresses=True, token="sim-key")
    handles = ["@alice-tube", "@missing-chan", "@suspended-chan", "@hiddenchan"]
    alice, missing, suspended, hidden = await adapter.fetch(client, [Target(h) for h in handles])
    counts = counters_for("youtube", "@alice-tube", clock())
    assert isinstance(alice, Observation)
    assert alice.platform_id == channel_id("@alice-tube")
    assert (alice.followers, alice.posts) == (rounded(counts.followers), counts.posts)
    assert alice.precision == subscriber_precision(rounded(counts.followers)) > 1
    assert missing == Missing("@missing-chan", "not_found", "no channel has this handle")
    assert isinstance(suspended, Missing) and suspended.status == "not_found"
    assert isinstance(hidden, Observation) and hidden.followers is None
    assert simulator.requests[CHANNELS] == 4

    clock.set(datetime(2027, 4, 11, tzinfo=UTC))
    known = [Target("@alice-tube", alice.platform_id), Target(hidden.handle, hidden.platform_id)]
    again, _ = await adapter.fetch(client, known)
    later = counters_for("youtube", "@alice-tube", clock())
    assert isinstance(again, Observation)
    assert (again.followers, again.posts) == (rounded(later.followers), later.posts)
    assert again.followers is not None and again.followers > (alice.followers or 0)
    assert simulator.requests[CHANNELS] == 5

    for token, status in (("bad-token", 400), (None, 403)):
        with pytest.raises(AuthError) as caught:
            await YouTube(base_url=url, allow_private_addresses=True, token=token).fetch(
                client, known
            )
        assert caught.value.http_status == status

    simulator.inject(CHANNELS, "429")
    with pytest.raises(RateLimitedError) as limited:
        await adapter.fetch(client, known)
    assert limited.value.retry_after == 30
