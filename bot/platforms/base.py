"""What every platform adapter declares, and the shared work they all rely on.

An adapter declares its name, default origin, batch size, rate budget and auth variable as class
attributes and overrides ``fetch``. Requests, status mapping and JSON parsing live here, once.
Adapters never touch the database: they return ``Observation`` or ``Missing`` values.
"""

from __future__ import annotations

import asyncio
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import httpx

from bot.clock import Clock, system_clock
from bot.errors import (
    AuthError,
    ParseError,
    PlatformError,
    RateLimitedError,
    TimeoutError_,
    TransientError,
)
from bot.http.budget import RateBudget
from bot.http.headers import retry_after_seconds
from bot.http.retry import SINGLE_ATTEMPT, RetryPolicy

if TYPE_CHECKING:
    from bot.http.budget import PlatformGate


@dataclass(frozen=True)
class Target:
    """One account to fetch: the configured handle, its stable id once learnt, its options."""

    handle: str
    platform_id: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Observation:
    """Counters read for one target. ``None`` means the platform did not report that counter."""

    handle: str
    platform_id: str
    followers: int | None
    following: int | None
    posts: int | None
    display_name: str | None = None
    current_handle: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    precision: int = 1


MissingStatus = Literal["not_found", "suspended"]


@dataclass(frozen=True)
class Missing:
    """A target the platform says is gone: becomes an account status, never a zero count."""

    handle: str
    status: MissingStatus
    message: str


FetchResult = Observation | Missing


class Adapter(ABC):
    """Base of the platform adapters: subclasses declare attributes and implement ``fetch``."""

    name: ClassVar[str]
    default_base_url: ClassVar[str]
    batch_size: ClassVar[int]
    rate_budget: ClassVar[RateBudget]
    example_handle: ClassVar[str]
    token_env: ClassVar[str | None] = None
    token_required: ClassVar[bool] = False
    # How reports name the platform when the class name does not spell it ("JSON source").
    title: ClassVar[str | None] = None
    # Extra keys this platform accepts in its ``[platforms.<name>]`` table (non-secret settings).
    platform_options: ClassVar[frozenset[str]] = frozenset()
    # Set by the runtime that owns the adapter: the platform's budget and the retry policy.
    gate: PlatformGate | None = None
    retry: RetryPolicy = SINGLE_ATTEMPT
    # Reset times in headers (epochs, HTTP dates) are read against this clock.
    clock: Clock = staticmethod(system_clock)

    def __init__(
        self,
        *,
        base_url: str | None = None,
        token: str | None = None,
        options: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") if base_url else None
        self.token = token
        self.options: Mapping[str, str] = options or {}

    def missing_credentials(self) -> str | None:
        """Why this adapter cannot make a request yet (a required token is not set), or None."""
        if self.token_required and not self.token:
            return f"{self.token_env or 'a token'} is not set (see config/.env.example)"
        return None

    @classmethod
    def account_options(cls, options: Mapping[str, object]) -> dict[str, str]:
        """Validate an account's ``options`` table; most platforms take none."""
        if options:
            raise ValueError(f"{cls.name} accounts take no options")
        return {}

    @classmethod
    def normalize_handle(cls, handle: str) -> str:
        """Return the canonical form of a handle; raise ``ValueError`` saying what is expected."""
        cleaned = handle.strip().lstrip("@")
        if not cleaned:
            raise ValueError("handle is empty")
        return cleaned

    def batch_key(self, target: Target) -> str:
        """Targets with the same key may share a request (Mastodon: the same instance)."""
        return self.name

    def budget_key(self, target: Target) -> str:
        """Targets with the same key share one request budget ("": the whole platform)."""
        return ""

    def batches(self, targets: Sequence[Target]) -> Iterator[list[Target]]:
        """Group targets by ``batch_key`` and cut each group to ``batch_size``."""
        groups: dict[str, list[Target]] = {}
        for target in targets:
            groups.setdefault(self.batch_key(target), []).append(target)
        for group in groups.values():
            for start in range(0, len(group), self.batch_size):
                yield group[start : start + self.batch_size]

    def batch_requests(self, batch: Sequence[Target]) -> int:
        """How many requests fetching ``batch`` takes; most platforms need one."""
        return 1

    @abstractmethod
    async def fetch(
        self, client: httpx.AsyncClient, targets: Sequence[Target]
    ) -> list[FetchResult]:
        """Fetch one batch; raise ``PlatformError`` when the whole request failed."""

    # Shared request machinery -------------------------------------------------------------

    async def get(
        self,
        client: httpx.AsyncClient,
        url: str,
        *,
        params: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """GET ``url`` within the platform's budget, retrying transient failures per policy."""
        policy = self.retry
        waited = 0.0
        attempt = 0
        while True:
            await self._wait_for_budget()
            try:
                return await self._send(client, url, params=params, headers=headers)
            except RateLimitedError as exc:
                gate = self._gate()
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

    async def _wait_for_budget(self) -> None:
        """Take one request from the platform's budget, waiting briefly or deferring."""
        gate = self._gate()
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
        url: str,
        *,
        params: Any,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        """One attempt: map transport failures, 429, 401/403 and 5xx to the error tree."""
        merged = {**self.auth_headers(), **(headers or {})}
        deadline = self.retry.deadline
        try:
            async with asyncio.timeout(deadline):
                response = await client.get(url, params=params, headers=merged)
                await response.aread()
        except TimeoutError:
            raise TimeoutError_(self.name, f"no complete answer within {deadline:g}s") from None
        except httpx.TimeoutException as exc:
            raise TimeoutError_(self.name, f"timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise TransientError(self.name, f"connection failed ({type(exc).__name__})") from None
        status = response.status_code
        gate = self._gate()
        if gate is not None:
            gate.observe(status, response.headers)
        if status >= 300:
            specific = self.platform_error(response)
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
        if 300 <= status < 400:
            # We never follow redirects: an API that redirects is sending us to a login page.
            raise PlatformError(
                self.name, f"unexpected redirect (HTTP {status})", http_status=status
            )
        return response

    def _gate(self) -> PlatformGate | None:
        """The budget this request counts against: the running batch's, else the platform's."""
        from bot.http.budget import current_gate

        return current_gate() or self.gate

    def platform_error(self, response: httpx.Response) -> PlatformError | None:
        """A platform-specific reading of an error response, before the generic status mapping.

        Override to map error bodies (Graph codes, GitHub's rate-limit 403, Telegram's
        ``retry_after``); return None to fall back to the status code.
        """
        return None

    def auth_headers(self) -> dict[str, str]:
        """Credentials for each request: a bearer token when one is configured."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def json_body(self, response: httpx.Response) -> Any:
        """Decode the body as JSON or raise ``ParseError``."""
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ParseError(
                self.name,
                f"response is not valid JSON (HTTP {response.status_code})",
                http_status=response.status_code,
            ) from None

    def error_text(self, response: httpx.Response) -> str:
        """The platform's own words for an error, cut short; never the URL (it may hold a token)."""
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return response.reason_phrase or "error"
        if isinstance(body, dict):
            for key in ("message", "error", "detail", "description"):
                value = body.get(key)
                if isinstance(value, str) and value:
                    return value[:200]
        return response.reason_phrase or "error"

    def origin(self) -> str:
        """The origin requests go to: the configured ``base_url`` or the platform's default."""
        return self.base_url or self.default_base_url


def count(value: Any, *, platform: str, field_name: str) -> int | None:
    """Parse a counter tolerantly: ints and digit strings pass, absent is ``None``."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ParseError(platform, f"field {field_name!r} is a boolean, expected a count")
    if isinstance(value, int):
        if value < 0:
            raise ParseError(platform, f"field {field_name!r} is negative ({value})")
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise ParseError(platform, f"field {field_name!r} is not a count: {str(value)[:40]!r}")
