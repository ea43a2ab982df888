"""Fault injection: queued bad answers per path, consumed one request at a time."""

from __future__ import annotations

from collections import deque
from typing import Any, Literal, get_args

from aiohttp import web

FaultKind = Literal["429", "503", "malformed", "truncated"]
FAULT_KINDS: frozenset[str] = frozenset(get_args(FaultKind))
RETRY_AFTER_SECONDS = 30
MALFORMED_BODY = b'{"profiles": ['
_TRUNCATED_BODY = b'{"profiles": [{"did": "did:plc:'
_TRUNCATED_MISSING_BYTES = 64


class FaultPlan:
    """Per-path queues of faults; the next requests to a path take them in order."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[FaultKind]] = {}

    def inject(self, path: str, kind: FaultKind, times: int = 1) -> None:
        """Queue ``times`` faults of ``kind`` for ``path``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if times < 1:
            raise ValueError("times must be at least 1")
        self._queues.setdefault(path, deque()).extend([kind] * times)

    def take(self, path: str) -> FaultKind | None:
        """The fault for this request to ``path``, if one is queued."""
        queue = self._queues.get(path)
        if not queue:
            return None
        kind = queue.popleft()
        if not queue:
            del self._queues[path]
        return kind

    def pending(self, path: str) -> int:
        """How many faults are still queued for ``path``."""
        return len(self._queues.get(path, ()))

    def clear(self) -> None:
        """Drop every queued fault."""
        self._queues.clear()


def fault_response(kind: FaultKind, rate_limited_body: dict[str, Any]) -> web.Response:
    """The response a fault stands for (rate-limit headers are added by the caller)."""
    if kind == "429":
        return web.json_response(
            rate_limited_body, status=429, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
        )
    if kind == "503":
        return web.json_response({"error": "Service Unavailable"}, status=503)
    if kind == "malformed":
        return web.Response(body=MALFORMED_BODY, content_type="application/json")
    # Truncated: announce more bytes than are sent, then close, so the client sees a cut body.
    length = len(_TRUNCATED_BODY) + _TRUNCATED_MISSING_BYTES
    response = web.Response(
        body=_TRUNCATED_BODY,
        content_type="application/json",
        headers={"Content-Length": str(length)},
    )
    response.force_close()
    return response
