"""Serving recorded fixtures through httpx.MockTransport."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from bot.http.client import make_client
from bot.platforms.base import Adapter, FetchResult, Target, Unreadable

FIXTURES = Path(__file__).parents[1] / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    """Load ``platform/file.json``."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def response_for(name: str, request: httpx.Request) -> httpx.Response:
    """A fixture as an httpx response (raw bytes when the fixture body is a string)."""
    data = fixture(name)
    body = data["body"]
    content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    headers = {"content-type": "application/json", **data.get("headers", {})}
    return httpx.Response(data["status"], headers=headers, content=content, request=request)


Handler = Callable[[httpx.Request], httpx.Response]


def routes(table: dict[str, str | Handler]) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport answering by URL path from fixture names or handlers; records requests."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        entry = table.get(request.url.path)
        if entry is None:
            return httpx.Response(404, json={"error": "no route in test"}, request=request)
        return entry(request) if callable(entry) else response_for(entry, request)

    return httpx.MockTransport(handle), seen


def fetch(
    adapter: Adapter, transport: httpx.MockTransport, targets: Sequence[Target]
) -> list[FetchResult]:
    """Run one adapter fetch through the real client factory."""

    async def go() -> list[FetchResult]:
        async with make_client(transport=transport) as client:
            return await adapter.fetch(client, targets)

    return asyncio.run(go())


def fetch_strict(
    adapter: Adapter, transport: httpx.MockTransport, targets: Sequence[Target]
) -> list[FetchResult]:
    """``fetch``, raising the error of the first account whose entry was ``Unreadable``.

    For the tables where a malformed body must end as a ``ParseError`` whether it fails the
    request or only its one account.
    """
    results = fetch(adapter, transport, targets)
    for result in results:
        if isinstance(result, Unreadable):
            raise result.error
    return results
