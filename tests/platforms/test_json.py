"""Generic JSON source over constructed documents: option, fetch and pointer tables, simulator."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from bot.clock import ManualClock
from bot.config import AccountSettings, load_settings
from bot.errors import AuthError, ParseError, PlatformError, RateLimitedError
from bot.http.client import make_client
from bot.platforms._jsonpointer import PointerNotFound, parse_pointer, resolve
from bot.platforms.base import Missing, Observation, Target
from bot.platforms.json_source import JsonSource
from bot.simulator.counters import counters_for
from bot.simulator.json_source import JsonSourceSim
from tests.helpers.adapters import fetch, routes
from tests.helpers.daemon import cycle, make_runtime
from tests.helpers.settings import settings_for
from tests.helpers.simulator import running_simulator

URL = "https://stats.example.org/stats/doc.json"
PATH = "/stats/doc.json"
START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


# Account options ------------------------------------------------------------------------

GOOD = {"url": URL, "followers": "/data/follower_count"}


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (GOOD, None),
        ({**GOOD, "following": "/a", "posts": "", "id": "/meta/account~1id"}, None),
        ({**GOOD, "url": "http://stats.example.org:8080/x?user=1"}, None),
        ({"followers": "/f"}, "'url' is required"),
        ({"url": URL}, "'followers' is required"),
        ({**GOOD, "url": "ftp://stats.example.org/x.json"}, "http or https"),
        ({**GOOD, "url": "stats.example.org/x.json"}, "http or https"),
        ({**GOOD, "url": "https:///x.json"}, "no host"),
        ({**GOOD, "url": "https://user:secret@stats.example.org/x"}, "credentials"),
        ({**GOOD, "url": "https://token@stats.example.org/x"}, "credentials"),
        ({**GOOD, "url": "https://stats.example.org:99999/x"}, "invalid port"),
        ({**GOOD, "url": "https://stats.example.org/a b"}, "without spaces"),
        ({**GOOD, "followers": "data/count"}, "start with '/'"),
        ({**GOOD, "posts": "/a/~2"}, "'~' not followed by 0 or 1"),
        ({**GOOD, "id": "/trailing~"}, "'~' not followed by 0 or 1"),
        ({**GOOD, "folowers": "/x", "extra": "1"}, "unknown option.*'extra', 'folowers'"),
        ({**GOOD, "posts": 3}, "'posts' must be a string, got int"),
        ({**GOOD, "url": ["https://a.example"]}, "'url' must be a string, got list"),
    ],
)
def test_account_options(options: dict[str, Any], error: str | None) -> None:
    if error is None:
        assert JsonSource.account_options(options) == options
    else:
        with pytest.raises(ValueError, match=error) as caught:
            JsonSource.account_options(options)
        assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("handle", "ok"),
    [
        ("university-tiktok", "university-tiktok"),
        (" My.Source_2 ", "My.Source_2"),
        ("x" * 64, "x" * 64),
        ("x" * 65, None),
        ("", None),
        ("has space", None),
        ("a/b", None),
        ("@name", None),
    ],
)
def test_handles(handle: str, ok: str | None) -> None:
    if ok is None:
        with pytest.raises(ValueError, match="1-64 letters"):
            JsonSource.normalize_handle(handle)
    else:
        assert JsonSource.normalize_handle(handle) == ok


# Fetch ----------------------------------------------------------------------------------

NESTED = {
    "followers": "/data/profile/stats/0/value",
    "following": "/data/profile/stats/1/value",
    "posts": "/data/videos/count",
}


@pytest.mark.parametrize(
    ("fixture_name", "pointers", "expected"),
    [
        ("json/ok-nested.json", {**NESTED, "id": "/meta/account~1id"}, ("tt-9876", 1523, 87, 412)),
        ("json/ok-nested.json", NESTED, (URL, 1523, 87, 412)),
        ("json/ok-nested.json", {**NESTED, "id": ""}, None),
        ("json/ok-nested.json", {"followers": "/meta/a~0b"}, (URL, 5, None, None)),
        ("json/ok-nested.json", {"followers": "/meta//empty"}, (URL, 7, None, None)),
        (
            "json/ok-nested.json",
            {"followers": "/data/profile/stats/0/value", "posts": "/data/profile/stats/9/value"},
            (URL, 1523, None, None),
        ),
        (
            "json/digit-strings.json",
            {"followers": "/followers", "following": "/following", "posts": "/posts"},
            (URL, 12345, 67, 890),
        ),
        (
            "json/followers-only.json",
            {"followers": "/stats/followers", "following": "/stats/following", "posts": "/p"},
            (URL, 2048, None, None),
        ),
    ],
)
def test_fetch_reads_counters_at_pointers(
    fixture_name: str, pointers: dict[str, str], expected: tuple[Any, ...] | None
) -> None:
    transport, seen = routes({PATH: fixture_name})
    target = Target("src", None, {"url": URL, **pointers})
    if expected is None:
        # "" names the whole document: an object is no id.
        with pytest.raises(ParseError, match="id pointer ''"):
            fetch(JsonSource(), transport, [target])
        return
    [result] = fetch(JsonSource(), transport, [target])
    assert isinstance(result, Observation)
    assert (result.platform_id, result.followers, result.following, result.posts) == expected
    assert str(seen[0].url) == URL
    assert "authorization" not in seen[0].headers


@pytest.mark.parametrize(
    ("fixture_name", "pointers", "error", "words"),
    [
        ("json/followers-only.json", {"followers": "/stats/missing"}, ParseError, "names no"),
        ("json/followers-only.json", {"followers": "/stats/following"}, ParseError, "names no"),
        ("json/ok-nested.json", {"followers": "/data/videos/count/0"}, ParseError, "names no"),
        ("json/ok-nested.json", {"followers": "/data/profile/stats/-"}, ParseError, "names no"),
        ("json/ok-nested.json", {"followers": "/data/profile"}, ParseError, "not a count"),
        ("json/non-number.json", {"followers": "/followers"}, ParseError, "not a count"),
        (
            "json/non-number.json",
            {"followers": "/following", "posts": "/followers"},
            ParseError,
            "not a count",
        ),
        ("json/malformed-truncated.json", {"followers": "/followers"}, ParseError, "not valid"),
        ("json/error-429-retry-after.json", {"followers": "/f"}, RateLimitedError, "429"),
        ("json/error-401-bad-token.json", {"followers": "/f"}, AuthError, "invalid token"),
    ],
)
def test_fetch_failures_raise(
    fixture_name: str, pointers: dict[str, str], error: type[Exception], words: str
) -> None:
    transport, _ = routes({PATH: fixture_name})
    with pytest.raises(error, match=words) as caught:
        fetch(
            JsonSource(token="s3cret"), transport, [Target("src", None, {"url": URL, **pointers})]
        )
    assert "s3cret" not in str(caught.value) and URL not in str(caught.value)
    if isinstance(caught.value, RateLimitedError):
        assert caught.value.retry_after == 30


@pytest.mark.parametrize(
    ("fixture_name", "message"),
    [("json/error-404-not-found.json", "not found"), ("json/error-410-gone.json", "Gone")],
)
def test_gone_documents_are_not_found(fixture_name: str, message: str) -> None:
    transport, _ = routes({PATH: fixture_name})
    target = Target("src", None, {"url": URL, "followers": "/f"})
    assert fetch(JsonSource(), transport, [target]) == [Missing("src", "not_found", message)]


def test_redirect_is_an_error_and_not_followed() -> None:
    transport, seen = routes({PATH: "json/redirect-302-metadata.json"})
    target = Target("src", None, {"url": URL, "followers": "/f"})
    with pytest.raises(PlatformError, match="redirect") as caught:
        fetch(JsonSource(), transport, [target])
    assert caught.value.http_status == 302
    assert [str(r.url) for r in seen] == [URL]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/stats.json",
        "http://10.1.2.3:8080/stats.json",
        "http://192.168.0.10/stats.json",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/stats.json",
        "http://[fe80::1]/stats.json",
        "http://[::ffff:127.0.0.1]/stats.json",
        "http://0.0.0.0/stats.json",
        "http://2130706433/stats.json",
        "http://0x7f.1/stats.json",
        "http://localhost:9000/stats.json",
        "http://240.0.0.1/stats.json",
        # Written with Unicode look-alikes that IDNA maps onto the addresses above.
        "http://127\u30020\u30020\u30021/stats.json",
        "http://localhost\uff0e:9000/stats.json",
        "http://\uff11\uff12\uff17.0.0.1/stats.json",
        "http://169\uff0e254\uff0e169\uff0e254/latest/meta-data/",
        "http://0177.0.0.1/stats.json",
    ],
)
def test_internal_addresses_are_refused_before_any_request(url: str) -> None:
    transport, seen = routes({})
    target = Target("src", None, {"url": url, "followers": "/f"})
    with pytest.raises(PlatformError, match="resolves to a private address") as caught:
        fetch(JsonSource(token="tok"), transport, [target])
    assert "allow_private_addresses = true" in str(caught.value)
    assert seen == []  # so the bearer token never left


def test_allow_private_addresses_lets_a_local_document_be_read() -> None:
    transport, seen = routes({"/stats.json": lambda r: httpx.Response(200, json={"f": 3})})
    url = "http://127\u30020\u30020\u30021:8080/stats.json"
    target = Target("src", None, {"url": url, "followers": "/f"})
    [result] = fetch(JsonSource(allow_private_addresses=True), transport, [target])
    assert isinstance(result, Observation) and result.followers == 3
    assert str(seen[0].url) == "http://127.0.0.1:8080/stats.json"


def test_the_refusal_is_one_line_in_the_poll_outcome(engine: Engine) -> None:
    url = "http://127\u30020\u30020\u30021/stats.json"
    account = AccountSettings("json", "local", options={"url": url, "followers": "/f"})
    settings = settings_for(accounts=[account])
    runtime, _ = make_runtime(settings, ManualClock(START))
    served: list[httpx.Request] = []
    [line] = cycle(engine, runtime, lambda r: served.append(r) or httpx.Response(200))
    assert line.outcome == "http_error" and served == []
    assert line.message == (
        "json: refused: 127.0.0.1 resolves to a private address "
        "(set allow_private_addresses = true to allow)"
    )


def test_base_url_replaces_origin_keeps_path_and_query_and_sends_token() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"n": "5"}, request=request)

    transport, seen = routes({"/stats/doc.json": answer})
    url = "http://127.0.0.1/stats/doc.json?user=a&x=1"
    adapter = JsonSource(base_url="http://sim:8080/", token="tok")
    [result] = fetch(adapter, transport, [Target("src", None, {"url": url, "followers": "/n"})])
    assert isinstance(result, Observation) and result.followers == 5
    assert str(seen[0].url) == "http://sim:8080/stats/doc.json?user=a&x=1"
    assert seen[0].headers["authorization"] == "Bearer tok"
    assert result.platform_id == url


def test_batch_size_one_request_per_target_in_order() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"n": len(request.url.path)}, request=request)

    transport, seen = routes({"/a": answer, "/bbb": answer})
    targets = [
        Target("b", None, {"url": "https://x.example/bbb", "followers": "/n"}),
        Target("gone", None, {"url": "https://x.example/none", "followers": "/n"}),
        Target("a", None, {"url": "https://x.example/a", "followers": "/n"}),
    ]
    assert [len(b) for b in JsonSource().batches(targets)] == [1, 1, 1]
    results = fetch(JsonSource(), transport, targets)
    assert [r.handle for r in results] == ["b", "gone", "a"]
    assert [getattr(r, "followers", None) for r in results] == [4, None, 2]
    assert isinstance(results[1], Missing)
    assert len(seen) == 3


def test_target_without_valid_options_fails_without_request() -> None:
    transport, seen = routes({})
    with pytest.raises(PlatformError, match="'url' is required"):
        fetch(JsonSource(), transport, [Target("src")])
    assert seen == []


# JSON pointer ---------------------------------------------------------------------------

DOC: dict[str, Any] = {
    "foo": ["bar", "baz"],
    "": 0,
    "a/b": 1,
    "m~n": 8,
    "~1": 9,
    " ": 7,
    "nested": {"list": [{"x": None}], "0": "zero"},
}


@pytest.mark.parametrize(
    ("pointer", "value"),
    [
        ("", DOC),
        ("/foo", ["bar", "baz"]),
        ("/foo/0", "bar"),
        ("/foo/1", "baz"),
        ("/", 0),
        ("/a~1b", 1),
        ("/m~0n", 8),
        ("/~01", 9),
        ("/ ", 7),
        ("/nested/list/0/x", None),
        ("/nested/0", "zero"),
    ],
)
def test_pointer_resolves(pointer: str, value: Any) -> None:
    assert resolve(DOC, pointer) == value


@pytest.mark.parametrize(
    "pointer",
    ["/missing", "/foo/2", "/foo/-", "/foo/01", "/foo/+1", "/foo/ 1", "/foo/0/x", "/a/b", "/~1"],
)
def test_pointer_names_nothing(pointer: str) -> None:
    with pytest.raises(PointerNotFound):
        resolve(DOC, pointer)


@pytest.mark.parametrize(
    ("pointer", "tokens"),
    [("", ()), ("/", ("",)), ("/a~1b/~0/~01", ("a/b", "~", "~1")), ("//x", ("", "x"))],
)
def test_pointer_parses(pointer: str, tokens: tuple[str, ...]) -> None:
    assert parse_pointer(pointer) == tokens


@pytest.mark.parametrize("pointer", ["a", "#/a", "/a~", "/~2", "/a~b"])
def test_pointer_malformed(pointer: str) -> None:
    with pytest.raises(ValueError):
        parse_pointer(pointer)


# Simulator ------------------------------------------------------------------------------


def test_through_the_simulator() -> None:
    async def main() -> None:
        clock = ManualClock(START)
        async with running_simulator(clock, platforms=[JsonSourceSim]) as (sim, base):
            adapter = JsonSource(base_url=base, allow_private_addresses=True, token="tok")

            def target(name: str) -> Target:
                options = {
                    "url": f"https://stats.example.org/json/{name}",
                    "followers": "/data/follower_count",
                    "following": "/data/following_count",
                    "posts": "/data/video_count",
                    "id": "/id",
                }
                return Target(name, None, options)

            names = ["university-tiktok", "missing-src", "suspended-src"]
            async with make_client() as client:
                results = await adapter.fetch(client, [target(n) for n in names])
                clock.advance(timedelta(days=30))
                [later] = await adapter.fetch(client, [target(names[0])])
            ok, missing, gone = results
            now = counters_for("json", names[0], START)
            assert isinstance(ok, Observation)
            assert (ok.followers, ok.following, ok.posts) == (
                now.followers,
                now.following,
                now.posts,
            )
            assert ok.platform_id == names[0]
            assert missing == Missing("missing-src", "not_found", "not found")
            assert gone == Missing("suspended-src", "not_found", "gone")
            assert isinstance(later, Observation)
            assert later.posts == counters_for("json", names[0], clock()).posts > now.posts
            assert sim.requests["/json/university-tiktok"] == 2

    asyncio.run(main())


def test_simulator_rate_limit_fault_reads_retry_after() -> None:
    async def main() -> None:
        async with running_simulator(ManualClock(START), platforms=[JsonSourceSim]) as (sim, base):
            sim.inject("/json/busy", "429")
            target = Target("busy", None, {"url": "https://s.example/json/busy", "followers": "/x"})
            async with make_client() as client:
                with pytest.raises(RateLimitedError) as caught:
                    await JsonSource(base_url=base, allow_private_addresses=True).fetch(
                        client, [target]
                    )
            assert caught.value.retry_after == 30

    asyncio.run(main())


def test_a_key_in_the_url_query_is_never_kept_in_clear(tmp_path: Path) -> None:
    # Without an id pointer the URL is the stable id: it is stored with its key masked, while the
    # request itself still carries the key.
    transport, seen = routes({"/doc.json": lambda r: httpx.Response(200, json={"n": 7})})
    url = "https://stats.example.org/doc.json?user=a&api_key=K3y-Sekret-99"
    target = Target("src", None, {"url": url, "followers": "/n"})
    [result] = fetch(JsonSource(), transport, [target])
    assert isinstance(result, Observation) and result.followers == 7
    assert "K3y-Sekret-99" not in result.platform_id
    assert result.platform_id == "https://stats.example.org/doc.json?user=a&api_key=[REDACTED]"
    assert seen[0].url.params["api_key"] == "K3y-Sekret-99"
    config = tmp_path / "accounts.toml"
    config.write_text(
        '[[accounts]]\nplatform = "json"\nhandle = "src"\n'
        f'options = {{ url = "{url}", followers = "/n" }}\n'
    )
    # The configured key is a secret like any token: masked in every log line and message.
    assert "K3y-Sekret-99" in load_settings(config, environ={}).secret_values()
