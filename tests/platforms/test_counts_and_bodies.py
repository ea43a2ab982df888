"""Issue 10, edges validated once in the base: counts, JSON shapes, and the body size cap."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.clock import ManualClock
from bot.config import load_settings
from bot.daemon.runtime import Runtime
from bot.errors import ConfigError, ParseError
from bot.http.addresses import ALLOW_PRIVATE_EXTENSION, PLATFORM_EXTENSION
from bot.http.client import make_client
from bot.platforms import ADAPTERS
from bot.platforms.base import Observation, Target, Unreadable, count
from bot.platforms.bluesky import Bluesky

PROFILES = "/xrpc/app.bsky.actor.getProfiles"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), (0, 0), (17, 17), ("17", 17), (2**63 - 1, 2**63 - 1), ("9" * 18, int("9" * 18))],
)
def test_counts_that_pass(value: Any, expected: int | None) -> None:
    assert count(value, platform="p", field_name="f") == expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (True, "boolean"),
        (False, "boolean"),
        (-1, "negative"),
        (2**63, "out of range"),
        (10**4000, "out of range"),
        ("٣", "not a count"),  # Arabic-Indic three: str.isdigit() says yes
        ("²", "not a count"),  # superscript two: isdigit() says yes, int() says no
        ("\uff11\uff12", "not a count"),  # fullwidth digits: int() would read 12
        ("9" * 20, "out of range"),
        ("9" * 5000, "out of range"),
        ("12 ", "not a count"),
        ("", "not a count"),
        (1.5, "a number with a fraction"),
        ({"a": 1}, "an object"),
        ([1], "an array"),
    ],
)
def test_counts_that_are_refused_name_the_field(value: Any, words: str) -> None:
    with pytest.raises(ParseError) as caught:
        count(value, platform="p", field_name="followers_count")
    assert "'followers_count'" in caught.value.message and words in caught.value.message
    # Never the whole hostile value in the message.
    assert len(caught.value.message) < 120


def fetch(adapter: Bluesky, handle: Any) -> list[Any]:
    async def go() -> list[Any]:
        async with make_client(transport=httpx.MockTransport(handle)) as client:
            return await adapter.fetch(client, [Target("a.bsky.social"), Target("b.bsky.social")])

    return asyncio.run(go())


def good(actor: str) -> dict[str, Any]:
    return {"did": f"did:plc:{actor[:1]}", "handle": actor, "followersCount": 3}


@pytest.mark.parametrize(
    "entry",
    [
        {"did": "did:plc:a", "handle": "a.bsky.social", "followersCount": "٣"},
        {"did": "did:plc:a", "handle": "a.bsky.social", "followersCount": [[[]]]},
        {"did": ["not", "text"], "handle": "a.bsky.social", "followersCount": 1},
        {"did": "did:plc:a", "handle": "a.bsky.social", "postsCount": 2**64},
    ],
)
def test_one_unreadable_entry_is_that_accounts_alone(entry: dict[str, Any]) -> None:
    body = {"profiles": [entry, good("b.bsky.social")]}
    results = fetch(Bluesky(), lambda request: httpx.Response(200, json=body))
    assert isinstance(results[0], Unreadable) and results[0].handle == "a.bsky.social"
    assert isinstance(results[1], Observation) and results[1].followers == 3


async def chunks(size: int, chunk: int = 64 * 1024) -> AsyncIterator[bytes]:
    yield b'{"profiles": [], "padding": "'
    sent = 0
    while sent < size:
        yield b"x" * chunk
        sent += chunk
    yield b'"}'


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "chunked"])
def test_a_body_over_the_cap_is_refused_and_not_read_whole(announced: bool) -> None:
    sent: list[int] = []

    async def handle(request: httpx.Request) -> httpx.Response:
        # The platform's tag still reaches the transport when the body is streamed.
        assert request.extensions[PLATFORM_EXTENSION] == "bluesky"
        assert request.extensions[ALLOW_PRIVATE_EXTENSION] is False
        size = 8 * 1024 * 1024

        async def counted() -> AsyncIterator[bytes]:
            async for part in chunks(size):
                sent.append(len(part))
                yield part

        headers = {"Content-Length": str(size + 31)} if announced else {}
        return httpx.Response(200, content=counted(), headers=headers)

    with pytest.raises(ParseError) as caught:
        fetch(Bluesky(max_response_bytes=1024 * 1024), handle)
    assert "max_response_bytes (1048576 bytes)" in str(caught.value)
    # Reading stopped at the cap (or before the first byte when the length said so).
    assert sum(sent) <= 1024 * 1024 + 128 * 1024


def test_a_body_under_the_cap_reads_as_before() -> None:
    body = {"profiles": [good("a.bsky.social"), good("b.bsky.social")]}
    results = fetch(Bluesky(max_response_bytes=1024), lambda r: httpx.Response(200, json=body))
    assert all(isinstance(r, Observation) for r in results)


def test_nesting_is_refused_at_one_depth_whoever_reads_it() -> None:
    # 100 levels decode at the top of a stack, but not always deep inside a poll cycle: the
    # limit is explicit so an answer is read or refused the same way everywhere.
    deep = b'{"profiles": ' + b"[" * 100 + b"]" * 100 + b"}"
    assert json.loads(deep)
    with pytest.raises(ParseError) as caught:
        fetch(Bluesky(), lambda request: httpx.Response(200, content=deep))
    assert "nested too deep" in str(caught.value)
    shallow = {"profiles": [good("a.bsky.social"), good("b.bsky.social")], "x": [[[[[]]]]]}
    assert all(
        isinstance(r, Observation)
        for r in fetch(Bluesky(), lambda request: httpx.Response(200, json=shallow))
    )


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("2048", 2048), ("0", None), ("1073741824", None), ('"5MB"', None), ("true", None)],
)
def test_max_response_bytes_is_read_once_bounded_and_reaches_every_adapter(
    tmp_path: Path, value: str, accepted: int | None
) -> None:
    config = tmp_path / "accounts.toml"
    config.write_text(f"[bot]\nmax_response_bytes = {value}\n", encoding="utf-8")
    if accepted is None:
        with pytest.raises(ConfigError) as caught:
            load_settings(config, environ={})
        assert "bot.max_response_bytes" in str(caught.value) and "\n" not in str(caught.value)
        return
    settings = load_settings(config, environ={})
    assert settings.max_response_bytes == accepted
    runtime = Runtime(settings, ManualClock(datetime(2025, 1, 1, tzinfo=UTC)))
    assert all(runtime.adapter(a.name).max_response_bytes == accepted for a in ADAPTERS)
    assert load_settings(None, environ={}).max_response_bytes == 5 * 1024 * 1024
