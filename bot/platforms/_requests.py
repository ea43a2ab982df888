"""The request path every adapter shares: budget, retries, one attempt, status rules, JSON.

``Adapter`` inherits it; the rules it applies are written in ``bot.platforms.base``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from bot.clock import Clock
from bot.errors import (
    AuthError,
    GoneError,
    MissingStatus,
    ParseError,
    PlatformError,
    RateLimitedError,
    TimeoutError_,
    TransientError,
)
from bot.http.addresses import request_tag
from bot.http.failures import describe
from bot.http.headers import retry_after_seconds
from bot.http.query import with_query
from bot.http.retry import RetryPolicy

if TYPE_CHECKING:
    from bot.http.budget import PlatformGate


# Default cap on one answer's body; ``[bot] max_response_bytes`` sets the daemon's.
DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024
# No platform answer nests this deep (theirs stay under 10 levels).
MAX_JSON_DEPTH = 64


def json_or_none(response: httpx.Response) -> Any:
    """The body as JSON, or None when it is not JSON (an HTML error page, a cut body)."""
    try:
        return decode_json(response.content)
    except ValueError:
        return None


def decode_json(content: bytes) -> Any:
    """JSON from bytes; ``ValueError`` for anything the decoder cannot take.

    Nesting deeper than ``MAX_JSON_DEPTH`` and integers of more than 4,300 digits (a
    ``ValueError`` of the int conversion) are refused the same way as a syntax error, so
    neither escapes as something no caller expects. The depth is checked explicitly: the
    decoder's own limit (``RecursionError``) depends on how deep the caller's stack is, so the
    same answer would be read or refused depending on who reads it.
    """
    try:
        value = json.loads(content)
    except RecursionError:
        raise ValueError("JSON nested too deep") from None
    if _deeper_than(value, MAX_JSON_DEPTH):
        raise ValueError("JSON nested too deep")
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """True when arrays and objects in ``value`` (as ``json.loads`` built it) nest past ``limit``.

    Level by level, testing exact types: every answer is walked, so this is on the hot path
    (five times faster than a generic walk on a 25-profile Bluesky answer).
    """
    level = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below = []
        for item in level:
            for child in item.values() if type(item) is dict else item:
                if type(child) is dict or type(child) is list:
                    below.append(child)
        level = below
    return False


class TooLarge(Exception):
    """The body went past the size cap (raised inside ``_read_capped``)."""


class Requests:
    """One platform's requests: ``request`` and the JSON readers built on it."""

    name: ClassVar[str]
    # Set by ``Adapter.__init__``: the secret, the platform's budget, retries, the clock, and
    # whether ``allow_private_addresses = true`` lets it reach private addresses.
    token: str | None
    allow_private_addresses: bool
    gate: PlatformGate | None
    retry: RetryPolicy
    clock: Clock
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES

    # What adapters call -------------------------------------------------------------------

    async def get_json(
        self,
        client: httpx.AsyncClient,
        url: str,
        *,
        params: Any = None,
        headers: Mapping[str, str] | None = None,
        gone: Mapping[int, MissingStatus] | None = None,
    ) -> dict[str, Any]:
        """GET ``url`` and return its JSON object; anything else raises (see the module rules)."""
        response, body = await self._answer(
            client, "GET", url, params=params, headers=headers, gone=gone
        )
        return self._object(response, body)

    async def post_json(
        self,
        client: httpx.AsyncClient,
        url: str,
        *,
        data: Mapping[str, str],
        auth: tuple[str, str] | None = None,
        budget: bool = True,
    ) -> dict[str, Any]:
        """POST a form to ``url`` and return its JSON object (Reddit's token request)."""
        response, body = await self._answer(
            client, "POST", url, data=data, auth=auth, budget=budget
        )
        return self._object(response, body)

    async def get_document(
        self,
        client: httpx.AsyncClient,
        url: str,
        *,
        gone: Mapping[int, MissingStatus] | None = None,
    ) -> Any:
        """GET ``url`` and return its JSON of any shape (the JSON source reads it by pointer)."""
        return (await self._answer(client, "GET", url, gone=gone))[1]

    async def request(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        *,
        params: Any = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        budget: bool = True,
    ) -> httpx.Response:
        """One request within the platform's budget, retrying transient failures per policy.

        Returns any answer the status rules let through (2xx and unmapped 4xx alike);
        ``budget=False`` is for a host with a budget of its own (Reddit's token endpoint).
        """
        policy = self.retry
        waited = 0.0
        attempt = 0
        gate = self._gate() if budget else None
        while True:
            await self._wait_for_budget(gate)
            try:
                return await self._send(
                    client, method, url, gate, params=params, headers=headers, data=data, auth=auth
                )
            except RateLimitedError as exc:
                if gate is not None:
                    gate.pause(exc.retry_after)
                raise
            except TransientError:
                attempt += 1
                delay = policy.backoff(attempt - 1)
                if attempt >= policy.attempts or waited + delay > policy.budget:
                    raise
            waited += delay
            await policy.sleep(delay)

    # What adapters may override -------------------------------------------------------------

    def platform_error(self, response: httpx.Response, body: Any) -> PlatformError | None:
        """A platform-specific reading of an answer (``body``: its JSON, or None), any status.

        Override to map error bodies (Graph codes, GitHub's rate-limit 403, Telegram's
        ``ok: false``); return None to leave the answer to the status rules.
        """
        return None

    def auth_headers(self) -> dict[str, str]:
        """Credentials for each request: a bearer token when one is configured."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def error_text(self, response: httpx.Response) -> str:
        """The platform's own words for an error, cut short; never the URL (it may hold a token)."""
        body = json_or_none(response)
        if isinstance(body, dict):
            for key in ("message", "error", "detail", "description"):
                value = body.get(key)
                if isinstance(value, str) and value:
                    return value[:200]
        return response.reason_phrase or "error"

    def json_body(self, response: httpx.Response) -> Any:
        """Decode the body as JSON or raise ``ParseError`` (too deep and huge numbers too)."""
        try:
            return decode_json(response.content)
        except ValueError as exc:
            why = "nested too deep" if "too deep" in str(exc) else "not valid JSON"
            if "digits" in str(exc):
                why = "a number with too many digits"
            raise ParseError(
                self.name,
                f"response is {why} (HTTP {response.status_code})",
                http_status=response.status_code,
            ) from None

    # The machinery ----------------------------------------------------------------------------

    async def _answer(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        *,
        gone: Mapping[int, MissingStatus] | None = None,
        **sent: Any,
    ) -> tuple[httpx.Response, Any]:
        """One request through the status rules: the answer and its decoded JSON."""
        response = await self.request(client, method, url, **sent)
        status = response.status_code
        if gone is not None and status in gone:
            raise GoneError(
                self.name, self.error_text(response), status=gone[status], http_status=status
            )
        if not 200 <= status < 300:
            raise PlatformError(
                self.name, f"HTTP {status}: {self.error_text(response)}", http_status=status
            )
        body = self.json_body(response)
        specific = self.platform_error(response, body)
        if specific is not None:
            raise specific
        return response, body

    def _object(self, response: httpx.Response, body: Any) -> dict[str, Any]:
        """``body`` if it is a JSON object, else ``ParseError`` naming the status."""
        if not isinstance(body, dict):
            status = response.status_code
            raise ParseError(
                self.name, f"answer is not a JSON object (HTTP {status})", http_status=status
            )
        return body

    async def _wait_for_budget(self, gate: PlatformGate | None) -> None:
        """Take one request from the platform's budget, waiting briefly or deferring."""
        if gate is None:
            return
        while (wait := gate.spend()) is not None:
            if wait > self.retry.max_wait:
                # Not a 429 from the platform: our own budget says later.
                raise RateLimitedError(
                    self.name,
                    f"request budget spent; next request in {wait:.0f}s",
                    http_status=None,
                    retry_after=wait,
                    local=True,
                )
            await self.retry.sleep(wait)

    async def _send(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        gate: PlatformGate | None,
        **sent: Any,
    ) -> httpx.Response:
        """One attempt: map transport failures, the hook, 429, 401/403, 5xx and 3xx."""
        auth = sent.pop("auth", None)
        request = self._request(client, method, url, sent)
        response = await self._receive(client, request, auth)
        if gate is not None:
            gate.observe(response.status_code, response.headers)
        if response.status_code >= 300:
            # Any 4xx but 401, 403 and 429 comes back: the caller reads it (a missing account).
            self._refuse(response)
        return response

    def _request(
        self, client: httpx.AsyncClient, method: str, url: str, sent: dict[str, Any]
    ) -> httpx.Request:
        """The request: the platform's auth headers under the caller's, the query in the URL."""
        sent["headers"] = {**self.auth_headers(), **(sent.get("headers") or {})}
        target: httpx.URL | str = url
        if sent.get("params") is not None:
            target, sent["params"] = with_query(url, sent["params"])
        # The client holds each request to the address policy of the platform it tags.
        return client.build_request(
            method, target, extensions=request_tag(self.name, self.allow_private_addresses), **sent
        )

    async def _receive(
        self, client: httpx.AsyncClient, request: httpx.Request, auth: Any
    ) -> httpx.Response:
        """The whole answer within the deadline and the size cap, or the error that says why."""
        deadline = self.retry.deadline
        try:
            async with asyncio.timeout(deadline):
                response = await client.send(request, auth=auth, stream=True)
                await self._read_capped(response)
        except TimeoutError:
            raise TimeoutError_(self.name, f"no complete answer within {deadline:g}s") from None
        except TooLarge:
            raise ParseError(
                self.name,
                f"answer larger than max_response_bytes ({self.max_response_bytes} bytes)",
                http_status=response.status_code,
            ) from None
        except httpx.TransportError as exc:
            raise self._transport_error(exc, request.url.host) from None
        return response

    def _refuse(self, response: httpx.Response) -> None:
        """Raise what a 3xx, 401/403, 429 or 5xx means, a platform's own error first."""
        status = response.status_code
        specific = self.platform_error(response, json_or_none(response))
        if specific is not None:
            raise specific
        if status == 429:
            raise RateLimitedError(
                self.name,
                "rate limited (HTTP 429)",
                retry_after=retry_after_seconds(response.headers, self.clock),
            )
        if status in (401, 403):
            raise AuthError(
                self.name, f"HTTP {status}: {self.error_text(response)}", http_status=status
            )
        if status >= 500:
            raise TransientError(self.name, f"HTTP {status}", http_status=status)
        if status < 400:
            # We never follow redirects: an API that redirects is sending us to a login page.
            raise PlatformError(
                self.name, f"unexpected redirect (HTTP {status})", http_status=status
            )

    async def _read_capped(self, response: httpx.Response) -> None:
        """Read the body, at most ``max_response_bytes`` of it (decoded), then close."""
        limit = self.max_response_bytes
        try:
            announced = response.headers.get("Content-Length", "")
            if announced.isascii() and announced.isdigit() and int(announced) > limit:
                raise TooLarge
            parts: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise TooLarge
                parts.append(chunk)
            # What ``aread`` would have set: the answer reads as a whole from here on.
            response._content = b"".join(parts)
        finally:
            await response.aclose()

    def _transport_error(self, exc: httpx.TransportError, host: str) -> PlatformError:
        """The error a failed connection stands for, named for what it was."""
        failure = describe(exc, host)
        if failure.timeout:
            return TimeoutError_(self.name, failure.words)
        if failure.retry:
            return TransientError(self.name, failure.words)
        # Not retried, and not a timeout: a certificate does not fix itself in a second.
        return PlatformError(self.name, failure.words)

    def _gate(self) -> PlatformGate | None:
        """The budget this request counts against: the running batch's, else the platform's."""
        from bot.http.budget import current_gate

        return current_gate() or self.gate
