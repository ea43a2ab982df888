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
- a 2xx body that is not JSON (nested too deep, numbers of thousands of digits included), not
  a JSON object (``get_json``), or lacks the id or counters is ``ParseError``: outcome
  parse_error, not counted (one odd body is not an outage);
- a body larger than ``max_response_bytes`` is a ``ParseError`` too, read no further.

Within a batch, one account's unreadable entry is that account's ``Unreadable`` result
(``Adapter.one``), never the batch's: the others in the same answer are still stored.

Outside their ``platform_error`` hook, adapters do not read ``response.status_code`` unless a
comment says why (Mastodon's batch route falls back to lookups on any refusal).
"""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypedDict

import httpx

from bot.clock import Clock, system_clock
from bot.errors import GoneError, MissingStatus, ParseError, PlatformError
from bot.http.budget import RateBudget
from bot.http.retry import SINGLE_ATTEMPT, RetryPolicy
from bot.output.text import cleaned, literal
from bot.platforms._requests import DEFAULT_MAX_RESPONSE_BYTES, Requests, json_or_none

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
    "Unreadable",
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


@dataclass(frozen=True)
class Unreadable:
    """One target's entry in an answer could not be read: its own parse_error, not the batch's."""

    handle: str
    error: ParseError


FetchResult = Observation | Missing | Unreadable
# What the account table's ``platform_id`` column holds.
MAX_ID = 255


def screened(result: FetchResult | PlatformError, platform: str) -> FetchResult | PlatformError:
    """An observation whose stable id no database could hold, or no one read, is its target's own
    parse error (PostgreSQL refuses a NUL, and the account's poll would not be stored at all);
    every other result as it is."""
    if not isinstance(result, Observation):
        return result
    found = result.platform_id
    # Every character ``literal`` escapes is unprintable: the common case is one C call.
    if found.isprintable() and 0 < len(found) <= MAX_ID:
        return result
    if not found:
        problem = "the account's id is empty"
    elif len(found) > MAX_ID:
        problem = f"the account's id is {len(found)} characters long (at most {MAX_ID})"
    elif literal(found) == found:
        return result  # unprintable yet nothing to escape: a no-break space, say
    else:
        problem = f"the account's id holds a control character: {literal(found[:60])}"
    return Unreadable(result.handle, ParseError(platform, problem))


# No platform's handle or id is longer; a longer one is a mistake or an attack on the database.
MAX_HANDLE = 256
# Control, format (bidi overrides, zero-width), surrogate, private and unassigned characters,
# line and paragraph separators: no platform allows them in a handle.
_UNSEEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True)
class HandleRule:
    """How a platform spells a handle; ``Adapter.normalize_handle`` applies it.

    ``pattern`` must match the whole handle once trimmed, its @ handled (``at``: "strip" one
    leading @, "keep" it as written, "add" one) and, if ``lower``, lower-cased. ``ids`` matches
    the platform's own ids, taken as written. ``hint`` says what is expected, for the error.
    ``any_case``: the platform treats names (not ``ids``) that differ only in case as one
    account, so the store matches them so and keeps the first spelling it stored.
    """

    pattern: str
    hint: str
    lower: bool = False
    at: Literal["strip", "keep", "add"] = "strip"
    ids: str | None = None
    any_case: bool = False

    def screen(self, handle: str, example: str) -> str:
        """``handle`` trimmed, unless too long or holding a control or format character."""
        cleaned = handle.strip()
        # Printable ASCII holds none of them: the per-character look-up is for the rest (it
        # was most of the time a 100k-account config took to load).
        plain = cleaned.isascii() and cleaned.isprintable()
        unseen = not plain and any(unicodedata.category(c) in _UNSEEN for c in cleaned)
        if len(cleaned) > MAX_HANDLE or unseen:
            raise self.refusal(handle, example)
        return cleaned

    def folds(self, handle: str) -> bool:
        """Whether ``handle`` (canonical) names the same account in any case."""
        return self.any_case and not (self._ids is not None and self._ids.fullmatch(handle))

    def apply(self, handle: str, example: str) -> str:
        """The canonical form of ``handle``; ``ValueError`` naming what is expected."""
        return self.apply_screened(self.screen(handle, example), handle, example)

    def apply_screened(self, cleaned: str, handle: str, example: str) -> str:
        """``apply`` of a handle ``screen`` returned as ``cleaned`` (``handle`` as written)."""
        if self._ids is not None and self._ids.fullmatch(cleaned):
            return cleaned
        name = cleaned if self.at == "keep" else cleaned.removeprefix("@")
        name = name.lower() if self.lower else name
        if not self._pattern.fullmatch(name):
            raise self.refusal(handle, example)
        return f"@{name}" if self.at == "add" else name

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        """``pattern`` compiled once (a 100k-account config checks it 100k times)."""
        return re.compile(self.pattern)

    @cached_property
    def _ids(self) -> re.Pattern[str] | None:
        """``ids`` compiled once, if the platform has ids."""
        return re.compile(self.ids) if self.ids is not None else None

    def refusal(self, handle: str, example: str) -> ValueError:
        """The error for a handle this rule refuses: what is expected, an example, the input."""
        shown = handle if len(handle) <= 64 else f"{handle[:64]}…"
        return ValueError(f"expected {self.hint} (e.g. {example}), got {shown!r}")


class Wiring(TypedDict, total=False):
    """What the runtime hands an adapter; every key has a safe default."""

    base_url: str | None
    token: str | None
    options: Mapping[str, str] | None
    gate: PlatformGate | None
    retry: RetryPolicy
    clock: Clock
    allow_private_addresses: bool
    max_response_bytes: int


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
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
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
        # ``[bot] max_response_bytes``: a bigger answer is refused, read no further.
        self.max_response_bytes = max_response_bytes

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

    @classmethod
    def handle_any_case(cls, handle: str) -> bool:
        """Whether the platform treats ``handle`` (canonical) and its other cases as one."""
        return cls.handle_rule.folds(handle)

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

    def one(self, handle: str, parse: Callable[[], FetchResult]) -> FetchResult:
        """``parse()`` for one target of a batch; its failure is that target's alone."""
        try:
            return parse()
        except ParseError as exc:
            return Unreadable(handle, exc)
        except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as exc:
            # A shape no rule expected (a list where an object was, a 5,000-digit id): still
            # this entry's problem, not the batch's.
            problem = f"unreadable entry ({type(exc).__name__})"
            return Unreadable(handle, ParseError(self.name, problem))

    async def check(self, client: httpx.AsyncClient, target: Target) -> FetchResult:
        """The cheapest read proving credentials and access: one configured account, alone."""
        # Every platform prices a one-account read as one request; a token-only endpoint
        # (``/me``) would pass with a token that still cannot read the accounts configured.
        return (await self.fetch(client, [target]))[0]

    def origin(self) -> str:
        """The origin requests go to: the configured ``base_url`` or the platform's default."""
        return self.base_url or self.default_base_url


# Display names and the like are stored cut to this many characters.
MAX_TEXT = 1000
# Counts must fit the database's 64-bit integer columns.
COUNT_LIMIT = 2**63
_JSON_KINDS: dict[type, str] = {
    float: "a number with a fraction",
    dict: "an object",
    list: "an array",
}


def text_value(value: Any) -> str | None:
    """A non-empty string from a platform's answer, cleaned; None if absent, blank or not text."""
    # Stored as it will be shown: no NUL, control character or direction override survives.
    return (cleaned(value[: MAX_TEXT * 2])[:MAX_TEXT] or None) if isinstance(value, str) else None


def is_integer(value: Any) -> bool:
    """An integer that is not a boolean (JSON true is an int to Python)."""
    return isinstance(value, int) and not isinstance(value, bool)


def count(value: Any, *, platform: str, field_name: str) -> int | None:
    """A counter: an int or a string of ASCII digits in ``0 <= n < 2**63``; absent is ``None``.

    Everything else (a boolean, a float, '٣' which ``str.isdigit`` accepts, an object) is a
    ``ParseError`` naming the field; the value is quoted only when it is short text.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ParseError(platform, f"field {field_name!r} is a boolean, expected a count")
    if isinstance(value, str):
        text = value
        # ``isdigit`` alone accepts Arabic-Indic and superscript digits; int() would too.
        if not (text.isascii() and text.isdigit()):
            raise ParseError(platform, f"field {field_name!r} is not a count: {value[:40]!r}")
        if len(text) > 19:
            raise ParseError(platform, f"field {field_name!r} is out of range ({len(text)} digits)")
        value = int(text)
    if not isinstance(value, int):
        kind = _JSON_KINDS.get(type(value), type(value).__name__)
        raise ParseError(platform, f"field {field_name!r} is not a count but {kind}")
    if value < 0:
        raise ParseError(platform, f"field {field_name!r} is negative")
    if value >= COUNT_LIMIT:
        raise ParseError(platform, f"field {field_name!r} is out of range (at least 2**63)")
    return value
