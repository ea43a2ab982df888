"""Faults that take real time: a hang and a slow drip, both cut short when the server stops."""

from __future__ import annotations

import asyncio
import math

from aiohttp import web
from multidict import CIMultiDict

DRIP_BYTES = 8  # the drip sends a few bytes at a time...
DRIP_MIN_CHUNKS = 10  # ...in at least this many pieces, so each pause stays short...
DRIP_MAX_CHUNKS = 200  # ...and at most this many, so big bodies do not spin the loop
_NOT_COPIED = ("Content-Length", "Transfer-Encoding")


async def wait_or_stop(stopping: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds`` of real time; True (at once) when the simulator is stopping."""
    if stopping.is_set():
        return True
    try:
        await asyncio.wait_for(stopping.wait(), timeout=max(0.0, seconds))
    except TimeoutError:
        return False
    return True


async def hang(stopping: asyncio.Event, seconds: float) -> web.Response:
    """Say nothing for ``seconds`` (or until stop), then a 504 and a closed connection."""
    await wait_or_stop(stopping, seconds)
    response = web.json_response({"error": "Gateway Timeout"}, status=504)
    response.force_close()
    return response


def drip_chunks(body: bytes) -> list[bytes]:
    """``body`` cut into the pieces a drip sends."""
    count = min(DRIP_MAX_CHUNKS, max(DRIP_MIN_CHUNKS, math.ceil(len(body) / DRIP_BYTES)))
    size = max(1, math.ceil(len(body) / count))
    return [body[i : i + size] for i in range(0, len(body), size)] or [b""]


async def drip(
    request: web.Request, inner: web.StreamResponse, stopping: asyncio.Event, seconds: float
) -> web.StreamResponse:
    """Send ``inner``'s body a few bytes at a time over ``seconds``; stop cuts it off."""
    body = inner.body if isinstance(inner, web.Response) else None
    if not isinstance(body, bytes):
        return inner  # nothing buffered to drip (a stream of its own): send it as it is
    headers = CIMultiDict(inner.headers)
    for name in _NOT_COPIED:
        headers.popall(name, None)
    stream = web.StreamResponse(status=inner.status, reason=inner.reason, headers=headers)
    stream.content_length = len(body)
    chunks = drip_chunks(body)
    pause = seconds / len(chunks)
    await stream.prepare(request)
    try:
        for chunk in chunks:
            await stream.write(chunk)
            if await wait_or_stop(stopping, pause):
                # Stopping: drop the connection mid-body instead of finishing the drip.
                if request.transport is not None:
                    request.transport.close()
                return stream
        await stream.write_eof()
    except ConnectionResetError:
        # The client went away mid-drip (it gave up, or was killed): nothing left to send.
        pass
    return stream
