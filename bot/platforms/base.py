"""What every platform adapter declares, and the shared work they all rely on.

An adapter declares its name, default origin, batch size, rate budget, auth variable and handle
rule as class attributes and overrides ``fetch``. Requests, status mapping and JSON checks live
here, once. Adapters never touch the database: they return ``Observation`` or ``Missing``.

Every request goes through ``request`` (budget, retries) and ``_send`` (one attempt); adapters
read JSON with ``get_json`` (or ``post_json``, ``get_document``). The same answer has the same
outcome on every platform:

- no complete answer: ``TimeoutError_``; a broken connection: ``TransientError`` (both retried);
- the adapter's ``platform_error`` hook reads the answer first, whatever its status (Graph and
  Telegram put errors in 200 bodies), and may name a precise error (throttling, a gone target);
- then 429 is ``RateLimitedError`` (the platform pauses), 401/403 ``AuthError``, 5xx
  ``TransientError`` (retried), 3xx ``PlatformError`` (we never follow redirects);
- a status the request declared ``gone`` (404 on a route that names one account) is
  ``GoneError``, which the adapter turns into ``Missing``;
- any other status outside 2xx is a bare ``PlatformError`` "HTTP <status>: <the platform's
  words>": outcome http_error, and it counts toward the platform's breaker (a route that
  answers what no rule expects is broken for every account, not for one);
- a 2xx body that is not JSON, not a JSON object (``get_json``), or lacks the id or counters
  is ``ParseError``: outcome parse_error, not counted (one odd body is not an outage).

Outside their ``platform_error`` hook, adapters do not read ``response.status_code`` unless a
comment says why (Mastodon's batch route falls back to lookups on any refusal).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypedDict

import httpx

from bot.clock import Clock, system_clock
from bot.errors import GoneError, MissingStatus, ParseError
from bot.http.budget import RateBudget
from bot.http.retry import SINGLE_ATTEMPT, RetryPolicy
from bot.output.text import cleaned
from bot.platforms._requests import Requests, json_or_none

if TYPE_CHECKING:
    from bot.http.budget import PlatformGate

__all__ = [
    "Adapter",
    "FetchResult",
    "HandleRule",
    "Missing",
    "MissingStatus",
    "Observation",
    "Target",
    "Wiring",
    "count",
    "json_or_none",
]


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


@dataclass(frozen=True)
class Missing:
    """A target the platform says is gone: becomes an account status, never a zero count."""

    handle: str
    status: MissingStatus
    message: str

    @classmethod
    def of(cls, handle: str, gone: GoneError) -> Missing:
        """The result a ``GoneError`` about ``handle`` stands for."""
        return cls(handle, gone.status, gone.message)


FetchResult = Observation | Missing


@dataclass(frozen=True)
class HandleRule:
    """How a platform spells a handle; ``Adapter.normalize_handle`` applies it.

    ``pattern`` must match the whole handle once trimmed, its @ handled (``at``: "strip" one
    leading @, "keep" it as written, "add" one) and, if ``lower``, lower-cased. ``ids`` matches
    the platform's own ids, taken as written. ``hint`` says what is expected, for the error.
    """

    pattern: str
    hint: str
    lower: bool = False
    at: Literal["strip", "keep", "add"] = "strip"
    ids: str | None = None

    def apply(self, handle: str, example: str) -> str:
        """The canonical form of ``handle``; ``ValueError`` naming what is expected."""
        cleaned = handle.strip()
        if self.ids is not None and re.fullmatch(self.ids, cleaned):
            return cleaned
        name = cleaned if self.at == "keep" else cleaned.removeprefix("@")
        name = name.lower() if self.lower else name
        if not re.fullmatch(self.pattern, name):
            raise self.refusal(handle, example)
        return f"@{name}" if self.at == "add" else name

    def refusal(self, handle: str, example: str) -> ValueError:
        """The error for a handle this rule refuses: what is expected, an example, the input."""
        return ValueError(f"expected {self.hint} (e.g. {example}), got {handle!r}")


class Wiring(TypedDict, total=False):
    """What the runtime hands an adapter; every key has a safe default."""

    base_url: str | None
    token: str | None
    options: Mapping[str, str] | None
    gate: PlatformGate | None
    retry: RetryPolicy
    clock: Clock
    allow_private_addresses: bool


class Adapter(Requests, ABC):
    """Base of the platform adapters: subclasses declare attributes and implement ``fetch``."""

    name: ClassVar[str]
    default_base_url: ClassVar[str]
    batch_size: ClassVar[int]
    rate_budget: ClassVar[RateBudget]
    example_handle: ClassVar[str]
    handle_rule: ClassVar[HandleRule]
    token_env: ClassVar[str | None] = None
    token_required: ClassVar[bool] = False
    # How reports name the platform when the class name does not spell it ("JSON source").
    title: ClassVar[str | None] = None
    # Extra keys this platform accepts in its ``[platforms.<name>]`` table (non-secret settings).
    platform_options: ClassVar[frozenset[str]] = frozenset()
    # What reading other people's accounts needs beyond a valid credential (an access tier, a
    # reviewed feature): ``bot check`` names it when the platform refuses a permission.
    access: ClassVar[str | None] = None

    def __init__(
        self,
        *,
        base_url: str | None = None,
        token: str | None = None,
        options: Mapping[str, str] | None = None,
        gate: PlatformGate | None = None,
        retry: RetryPolicy = SINGLE_ATTEMPT,
        clock: Clock = system_clock,
        allow_private_addresses: bool = False,
    ) -> None:
        self.base_url = base_url.rstrip("/") if base_url else None
        self.token = token
        self.options: Mapping[str, str] = options or {}
        # The platform's budget (None: unlimited, as in one-off calls and tests).
        self.gate = gate
        # Adapters used on their own try once; the daemon and `bot poll` pass their policy.
        self.retry = retry
        # Reset times in headers (epochs, HTTP dates) are read against this clock.
        self.clock = clock
        # ``[platforms.<name>] allow_private_addresses``: the client refuses them otherwise.
        self.allow_private_addresses = allow_private_addresses

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
        return cls.handle_rule.apply(handle, cls.example_handle)

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

    async def check(self, client: httpx.AsyncClient, target: Target) -> FetchResult:
        """The cheapest read proving credentials and access: one configured account, alone."""
        # Every platform prices a one-account read as one request; a token-only endpoint
        # (``/me``) would pass with a token that still cannot read the accounts configured.
        return (await self.fetch(client, [target]))[0]

    def origin(self) -> str:
        """The origin requests go to: the configured ``base_url`` or the platform's default."""
        return self.base_url or self.default_base_url


def text_value(value: Any) -> str | None:
    """A non-empty string from a platform's answer, cleaned; None if absent, blank or not text."""
    # Stored as it will be shown: no NUL, control character or direction override survives.
    return (cleaned(value) or None) if isinstance(value, str) else None


def is_integer(value: Any) -> bool:
    """An integer that is not a boolean (JSON true is an int to Python)."""
    return isinstance(value, int) and not isinstance(value, bool)


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
