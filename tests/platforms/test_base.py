"""The shared base: the JSON readers, GoneError, declared handle rules, the runtime's wiring."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
import pytest
from sqlalchemy import Engine

from bot import errors
from bot.clock import ManualClock
from bot.config import AccountSettings, PlatformSettings, Settings
from bot.daemon.runtime import Runtime
from bot.errors import (
    AuthError,
    GoneError,
    MissingStatus,
    ParseError,
    PlatformError,
    RateLimitedError,
    TransientError,
)
from bot.http.budget import BREAKER_THRESHOLD, RateBudget
from bot.http.client import make_client
from bot.http.retry import RetryPolicy
from bot.platforms import ADAPTERS
from bot.platforms._graph import graph_error
from bot.platforms.base import Adapter, FetchResult, HandleRule, Missing, Target
from tests.helpers.adapters import Handler
from tests.helpers.daemon import cycle, make_runtime

GONE: dict[int, MissingStatus] = {404: "not_found", 410: "suspended"}


class Probe(Adapter):
    """A bare adapter: its one request says what the base made of an answer."""

    name: ClassVar[str] = "probe"
    default_base_url: ClassVar[str] = "http://probe"
    batch_size: ClassVar[int] = 1
    rate_budget: ClassVar[RateBudget] = RateBudget(requests=10, per_seconds=1)
    example_handle: ClassVar[str] = "someone"
    handle_rule: ClassVar[HandleRule] = HandleRule(r"[a-z]+", "lower-case letters")

    def platform_error(self, response: httpx.Response, body: Any) -> PlatformError | None:
        """An error inside a 200 body, as Graph and Telegram send them."""
        if isinstance(body, dict) and body.get("refused"):
            return AuthError(self.name, "refused in the body", http_status=response.status_code)
        return None

    async def fetch(
        self, client: httpx.AsyncClient, targets: Sequence[Target]
    ) -> list[FetchResult]:
        """Not used: the tests call the readers directly."""
        return []


def read(handler: Handler, **kwargs: Any) -> dict[str, Any]:
    """``Probe.get_json`` on one answer."""

    async def go() -> dict[str, Any]:
        async with make_client(transport=httpx.MockTransport(handler)) as client:
            return await Probe().get_json(client, "http://probe/thing", **kwargs)

    return asyncio.run(go())


def replying(status: int, **body: Any) -> Handler:
    return lambda request: httpx.Response(status, request=request, **body)


# get_json --------------------------------------------------------------------------------


def test_get_json_returns_the_object() -> None:
    assert read(replying(200, json={"id": 1})) == {"id": 1}


@pytest.mark.parametrize(
    ("status", "body", "error", "words"),
    [
        (200, {"json": [1]}, ParseError, "probe: answer is not a JSON object (HTTP 200)"),
        (203, {"json": "text"}, ParseError, "probe: answer is not a JSON object (HTTP 203)"),
        (200, {"text": "<html>"}, ParseError, "probe: response is not valid JSON (HTTP 200)"),
        (200, {"json": {"refused": True}}, AuthError, "probe: refused in the body"),
        (409, {"json": {"message": "busy"}}, PlatformError, "probe: HTTP 409: busy"),
        (404, {"json": {"message": "no route"}}, PlatformError, "probe: HTTP 404: no route"),
        (503, {"text": "down"}, PlatformError, "probe: HTTP 503"),
        (429, {"text": ""}, RateLimitedError, "probe: rate limited (HTTP 429)"),
    ],
)
def test_get_json_refuses_everything_else_by_the_module_rules(
    status: int, body: dict[str, Any], error: type[PlatformError], words: str
) -> None:
    with pytest.raises(error) as caught:
        read(replying(status, **body))
    assert str(caught.value) == words
    assert caught.value.http_status == status


@pytest.mark.parametrize(("status", "missing"), [(404, "not_found"), (410, "suspended")])
def test_declared_gone_statuses_raise_gone_error(status: int, missing: MissingStatus) -> None:
    with pytest.raises(GoneError) as caught:
        read(replying(status, json={"message": "no such user"}), gone=GONE)
    gone = caught.value
    assert (gone.status, gone.message, gone.http_status, gone.names) == (
        missing,
        "no such user",
        status,
        (),
    )
    assert Missing.of("someone", gone) == Missing("someone", missing, "no such user")


def test_gone_error_is_never_the_platforms_fault() -> None:
    gone = GoneError("x", "gone", status="suspended", names=("a", "b"))
    assert (gone.outcome, gone.counts_against_platform, gone.names) == (
        "http_error",
        False,
        ("a", "b"),
    )
    assert isinstance(gone, PlatformError)


def test_graph_names_the_missing_aliases_in_one_gone_error() -> None:
    body = {
        "error": {
            "code": 803,
            "message": "(#803) Some of the aliases you requested do not exist: a.b, c",
        }
    }
    response = httpx.Response(400, json=body, request=httpx.Request("GET", "http://graph"))
    gone = graph_error("facebook", response, body)
    assert isinstance(gone, GoneError) and gone.names == ("a.b", "c")
    assert gone.status == "not_found" and gone.http_status == 400


def test_post_json_goes_through_the_same_send_path() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(401, json={"message": "bad client"}, request=request)

    async def go() -> None:
        async with make_client(transport=httpx.MockTransport(handle)) as client:
            await Probe(token="t").post_json(client, "http://probe/token", data={"a": "b"})

    with pytest.raises(AuthError, match="HTTP 401: bad client"):
        asyncio.run(go())
    assert (seen[0].method, seen[0].content) == ("POST", b"a=b")
    assert seen[0].headers["Authorization"] == "Bearer t"


# Declared handle rules -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "raw", "expected"),
    [
        (HandleRule(r"[a-z]+", "letters"), " @abc ", "abc"),
        (HandleRule(r"[a-z]+", "letters"), "@@abc", None),
        (HandleRule(r"[a-z]+", "letters", lower=True), "@ABC", "abc"),
        (HandleRule(r"[a-z]+", "letters"), "ABC", None),
        (HandleRule(r"@[a-z]+", "an @name", at="keep"), "@abc", "@abc"),
        (HandleRule(r"@[a-z]+", "an @name", at="keep"), "abc", None),
        (HandleRule(r"[a-z]+", "letters", at="add"), "abc", "@abc"),
        (HandleRule(r"[a-z]+", "letters", at="add"), "@abc", "@abc"),
        (HandleRule(r"[a-z]+", "letters", at="add", ids=r"-?[0-9]+"), " -42 ", "-42"),
        (HandleRule(r"[a-z]+", "letters", lower=True, ids=r"ID[A-Z]+"), "IDXY", "IDXY"),
        (HandleRule(r"[a-z]+", "letters"), "", None),
    ],
)
def test_a_handle_rule_trims_handles_the_at_sign_and_the_case(
    rule: HandleRule, raw: str, expected: str | None
) -> None:
    if expected is None:
        with pytest.raises(ValueError, match=rf"expected {rule.hint} \(e\.g\. ex\), got {raw!r}"):
            rule.apply(raw, "ex")
    else:
        assert rule.apply(raw, "ex") == expected


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
def test_every_adapter_declares_a_rule_its_example_obeys(adapter: type[Adapter]) -> None:
    assert isinstance(adapter.handle_rule, HandleRule)
    with pytest.raises(ValueError, match=r"\(e\.g\. "):
        adapter.normalize_handle("not a handle / at all")


# The runtime wires adapters through the constructor ----------------------------------------


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
def test_the_runtime_hands_each_adapter_its_gate_retry_policy_and_clock(
    adapter: type[Adapter],
) -> None:
    clock = ManualClock(datetime(2025, 1, 1, tzinfo=UTC))
    policy = RetryPolicy(attempts=2)
    entry = PlatformSettings(adapter.name, base_url="http://sim", allow_private_addresses=True)
    runtime = Runtime(Settings(platforms={adapter.name: entry}), clock, retry=policy)
    made = runtime.adapter(adapter.name)
    assert made.gate is runtime.gate(adapter.name)
    assert (made.retry, made.clock, made.base_url) == (policy, clock, "http://sim")
    assert made.allow_private_addresses is True


def test_an_adapter_on_its_own_has_safe_defaults() -> None:
    probe = Probe()
    assert (probe.gate, probe.retry.attempts, probe.base_url, dict(probe.options)) == (
        None,
        1,
        None,
        {},
    )
    assert probe.clock().tzinfo is not None


def test_every_error_is_drawn_and_says_whether_it_counts_against_the_platform() -> None:
    words = (errors.__doc__ or "").split()
    classes = [
        c
        for _, c in inspect.getmembers(errors, inspect.isclass)
        if issubclass(c, errors.BotError) and c.__module__ == errors.__name__
    ]
    assert len(classes) >= 12
    for error in classes:
        assert error.__name__ in words, error
        starred = words[words.index(error.__name__) + 1] == "*"
        assert error.counts_against_platform is starred, error


# The breaker reads counts_against_platform -------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (replying(409, json={"message": "busy"}), PlatformError),
        (replying(404, json={"message": "no route"}), PlatformError),
        (replying(503, text="down"), TransientError),
        (replying(200, json=[1]), ParseError),
        (replying(401, json={"message": "who are you"}), AuthError),
    ],
    ids=["unmapped-409", "batch-404", "503", "not-an-object", "401"],
)
def test_only_errors_that_count_against_the_platform_open_its_breaker(
    engine: Engine, answer: Handler, error: type[PlatformError]
) -> None:
    # Enough accounts for BREAKER_THRESHOLD failed batches of 25 in one cycle.
    handles = [f"u{i}.bsky.social" for i in range(BREAKER_THRESHOLD * 25)]
    settings = Settings(
        accounts=tuple(AccountSettings("bluesky", h) for h in handles),
        platforms={"bluesky": PlatformSettings("bluesky")},
    )
    runtime, _ = make_runtime(settings, ManualClock(datetime(2025, 3, 1, tzinfo=UTC)))
    results = cycle(engine, runtime, answer)
    assert {r.outcome for r in results} == {error.outcome}
    opened = runtime.gate("bluesky").view().state == "circuit_open"
    assert opened is error.counts_against_platform
