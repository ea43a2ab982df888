"""Generic JSON source: each account names its own URL and the JSON pointers of its counters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import SplitResult, urlsplit

import httpx

from bot.errors import GoneError, ParseError, PlatformError
from bot.http.addresses import normalize_host, outbound_url
from bot.http.budget import RateBudget
from bot.http.redact import redact_url
from bot.platforms._jsonpointer import PointerNotFound, parse_pointer, resolve
from bot.platforms.base import (
    Adapter,
    FetchResult,
    HandleRule,
    Missing,
    MissingStatus,
    Observation,
    Target,
    count,
)

_POINTER_KEYS = ("followers", "following", "posts", "id")
_OPTION_KEYS = frozenset({"url", *_POINTER_KEYS})
# A document that is no longer served is a source gone, not a failed poll.
_GONE: dict[int, MissingStatus] = {404: "not_found", 410: "not_found"}


def check_url(url: str) -> SplitResult:
    """Split an account URL; ``ValueError`` unless it is http(s) with a host and no credentials."""
    if not url or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise ValueError("option 'url' must be a non-empty URL without spaces")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        shown = parts.scheme or "none"
        raise ValueError(f"option 'url' must use http or https, got scheme {shown!r}")
    # Never echo the URL itself: a user:pass or a key in it must not reach a log.
    if "@" in parts.netloc:
        raise ValueError("option 'url' must not carry credentials (user:pass@); use a token")
    if not parts.hostname:
        raise ValueError("option 'url' has no host")
    try:
        parts.port  # noqa: B018 - reading it validates the port
    except ValueError:
        raise ValueError("option 'url' has an invalid port") from None
    try:
        normalize_host(parts.hostname)
    except ValueError:
        raise ValueError("option 'url' has an invalid host name") from None
    return parts


class JsonSource(Adapter):
    """Counters read from any JSON document over HTTP(S), one URL per account.

    Account options: ``url`` (required, http or https, no user:pass@; a private host only with
    ``allow_private_addresses = true``), ``followers``
    (required), ``following``, ``posts`` and ``id`` (optional): RFC 6901 JSON pointers such
    as ``/data/follower_count`` or ``/items/0/count``. Without ``id`` the URL is the stable id.
    """

    name: ClassVar[str] = "json"
    title: ClassVar[str | None] = "JSON source"
    # Each account's ``url`` option names its own origin; ``base_url`` replaces it (tests).
    default_base_url: ClassVar[str] = "https://{host}"
    batch_size: ClassVar[int] = 1
    # Arbitrary servers publish no budget: one request a second is polite.
    rate_budget: ClassVar[RateBudget] = RateBudget(requests=60, per_seconds=60)
    example_handle: ClassVar[str] = "example-source"
    token_env: ClassVar[str | None] = "JSON_SOURCE_TOKEN"
    token_required: ClassVar[bool] = False
    # The handle only names the source in reports: any short name, kept as written.
    handle_rule: ClassVar[HandleRule] = HandleRule(
        r"[A-Za-z0-9_.-]{1,64}", "a name of 1-64 letters, digits, '_', '.' or '-'", at="keep"
    )

    @classmethod
    def account_options(cls, options: Mapping[str, object]) -> dict[str, str]:
        """Check ``url`` and the JSON pointers; refuse unknown keys and non-string values."""
        unknown = sorted(set(options) - _OPTION_KEYS)
        if unknown:
            names = ", ".join(repr(key) for key in unknown)
            expected = ", ".join(sorted(_OPTION_KEYS))
            raise ValueError(f"unknown option(s) {names} (expected: {expected})")
        result: dict[str, str] = {}
        for key, value in options.items():
            if not isinstance(value, str):
                raise ValueError(f"option {key!r} must be a string, got {type(value).__name__}")
            result[key] = value
        if "url" not in result:
            raise ValueError("option 'url' is required (the JSON document's http(s) URL)")
        if "followers" not in result:
            raise ValueError("option 'followers' is required (a JSON pointer, e.g. /followers)")
        check_url(result["url"])
        for key in _POINTER_KEYS:
            if key in result:
                try:
                    parse_pointer(result[key])
                except ValueError as exc:
                    raise ValueError(f"option {key!r}: {exc}") from None
        return result

    async def fetch(
        self, client: httpx.AsyncClient, targets: Sequence[Target]
    ) -> list[FetchResult]:
        """One GET per target (batch size 1), in target order."""
        return [await self._fetch_one(client, target) for target in targets]

    def request_url(self, url: str) -> str:
        """The URL to GET: ``base_url`` replaces the origin, else the host as a resolver reads it.

        The client refuses a private host (``127。0。0。1`` is 127.0.0.1) unless
        ``[platforms.json] allow_private_addresses = true``.
        """
        parts = check_url(url)
        if self.base_url:
            query = f"?{parts.query}" if parts.query else ""
            return f"{self.base_url}{parts.path or '/'}{query}"
        return outbound_url(url)

    async def _fetch_one(self, client: httpx.AsyncClient, target: Target) -> FetchResult:
        """GET the account's document and read its counters at the configured pointers."""
        try:
            options = self.account_options(target.options)
        except ValueError as exc:
            raise PlatformError(self.name, f"account {target.handle}: {exc}") from None
        # Redirects are never followed: a 3xx raises, so no redirect reaches another host.
        try:
            document = await self.get_document(client, self.request_url(options["url"]), gone=_GONE)
        except GoneError as gone:
            return Missing.of(target.handle, gone)
        return Observation(
            handle=target.handle,
            platform_id=self._platform_id(document, options),
            followers=self._required_count(document, options["followers"]),
            following=self._optional_count(document, options.get("following")),
            posts=self._optional_count(document, options.get("posts")),
        )

    def _required_count(self, document: Any, pointer: str) -> int:
        """The followers count: a pointer that names nothing (or null) is a ParseError."""
        try:
            value = count(resolve(document, pointer), platform=self.name, field_name=pointer)
        except PointerNotFound:
            value = None
        if value is None:
            raise ParseError(self.name, f"followers pointer {pointer!r} names no value")
        return value

    def _optional_count(self, document: Any, pointer: str | None) -> int | None:
        """A following/posts count; not configured or naming nothing is ``None``, never 0."""
        if pointer is None:
            return None
        try:
            return count(resolve(document, pointer), platform=self.name, field_name=pointer)
        except PointerNotFound:
            return None

    def _platform_id(self, document: Any, options: Mapping[str, str]) -> str:
        """The value at the ``id`` pointer when configured, else the account's URL (keys masked)."""
        pointer = options.get("id")
        if pointer is None:
            # The id is stored and shown: a key in the URL's query must not be.
            return redact_url(options["url"])
        try:
            value = resolve(document, pointer)
        except PointerNotFound:
            value = None
        if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
            raise ParseError(self.name, f"id pointer {pointer!r} names no string or integer")
        return str(value)
