"""Per-request cost of the HTTP stacks for the cycle's workload: 25-actor getProfiles, 8 in flight.

httpx with the httpx-aiohttp transport (what ``make_client`` builds), plain httpx (httpcore's
pool), and raw aiohttp, each on asyncio's default loop and on uvloop when it is installed,
against ``bot simulate`` in a child process. Prints requests/s and this process's CPU per request
(the simulator's is not counted). Each stack gets the same URLs; the answer is read as bytes and
decoded as JSON by all three.

    .venv/bin/python bench/http_clients.py [REQUESTS]
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

import aiohttp
import httpx
from cycle import start_simulator

from bot.http.client import make_client

IN_FLIGHT = 8
Fetch = Callable[[str], Awaitable[bytes]]


def urls(base: str, count: int) -> list[str]:
    """``count`` getProfiles URLs of 25 distinct actors each."""
    path = f"{base}/xrpc/app.bsky.actor.getProfiles"
    return [
        f"{path}?{urlencode([('actors', f'u{r * 25 + i}.bsky.social') for i in range(25)])}"
        for r in range(count)
    ]


async def run(fetch: Fetch, targets: list[str]) -> None:
    """Every URL, ``IN_FLIGHT`` at a time."""
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(url: str) -> None:
        async with gate:
            json.loads(await fetch(url))

    await asyncio.gather(*(one(u) for u in targets))


async def with_stack(name: str, targets: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds for all ``targets`` through one stack (after a warm-up request)."""
    if name == "raw aiohttp":
        async with aiohttp.ClientSession() as session:

            async def fetch_raw(url: str) -> bytes:
                async with session.get(url) as response:
                    return await response.read()

            return await timed(fetch_raw, targets)
    client = make_client() if name == "httpx + httpx-aiohttp" else httpx.AsyncClient()
    async with client:
        # The simulator is on loopback: tag requests as make_client's callers do.
        tag = {"bot.platform": "bluesky", "bot.allow_private_addresses": True}

        async def fetch_httpx(url: str) -> bytes:
            response = await client.get(url, extensions=tag)
            return response.content

        return await timed(fetch_httpx, targets)


async def timed(fetch: Fetch, targets: list[str]) -> tuple[float, float]:
    """Warm up with one request, then time the rest."""
    await fetch(targets[0])
    start, cpu = time.perf_counter(), time.process_time()
    await run(fetch, targets)
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    """Print the figures."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 800
    child, base = start_simulator()
    loops: list[tuple[str, Callable[[Awaitable[tuple[float, float]]], tuple[float, float]]]]
    loops = [("asyncio", asyncio.run)]
    try:
        import uvloop

        loops.append(("uvloop", uvloop.run))
    except ImportError:
        print("uvloop not installed: asyncio only")
    try:
        targets = urls(base, count)
        for stack in ("httpx + httpx-aiohttp", "plain httpx", "raw aiohttp"):
            for loop_name, runner in loops:
                wall, cpu = runner(with_stack(stack, targets))
                print(
                    f"{stack:22} {loop_name:8} {count} requests: {count / wall:6.0f} req/s,"
                    f" CPU {cpu / count * 1e3:.2f} ms/request",
                    flush=True,
                )
    finally:
        child.terminate()
        child.wait()


if __name__ == "__main__":
    main()
