"""Telegram Bot API: ``getChat`` once for the numeric id, then ``getChatMemberCount`` per poll.

The bot token is part of the URL path, so every error leaving this module is built from the
status, the platform's description and exception type names only, with the token scrubbed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from bot.errors import (
    AuthError,
    GoneError,
    ParseError,
    PlatformError,
    RateLimitedError,
    TransientError,
)
from bot.http.budget import RateBudget
from bot.http.headers import MAX_WAIT_SECONDS, retry_after_seconds
from bot.platforms.base import (
    Adapter,
    FetchResult,
    HandleRule,
    Missing,
    Observation,
    Target,
    count,
    is_integer,
    text_value,
)


class _Migrated(PlatformError):
    """A 400 carrying ``parameters.migrate_to_chat_id``: the group became a supergroup."""

    # Followed at once by ``_fetch_one``; it never reaches the poller.
    counts_against_platform = False

    def __init__(self, chat_id: str, http_status: int) -> None:
        super().__init__("telegram", f"migrated to {chat_id}", http_status=http_status)
        self.chat_id = chat_id


class Telegram(Adapter):
    """Telegram public channels and groups: member count only, one chat per request."""

    name: ClassVar[str] = "telegram"
    default_base_url: ClassVar[str] = "https://api.telegram.org"
    batch_size: ClassVar[int] = 1
    # No limit is published for read methods; the only published figure is the ~30 messages
    # per second a bot may send overall, so we stay at that ceiling and honour 429 retry_after.
    rate_budget: ClassVar[RateBudget] = RateBudget(requests=30, per_seconds=1)
    example_handle: ClassVar[str] = "@telegram"
    token_env: ClassVar[str | None] = "TELEGRAM_BOT_TOKEN"
    token_required: ClassVar[bool] = True
    access: ClassVar[str | None] = (
        "the bot added to private channels and groups (public ones need nothing)"
    )
    # ``@name`` (the @ added when left out) or a numeric chat id like -1001234567890.
    handle_rule: ClassVar[HandleRule] = HandleRule(
        r"[A-Za-z0-9_]{5,32}",
        "a public channel or group username (5-32 letters, digits or _) or a numeric chat id",
        at="add",
        ids=r"-?[0-9]{1,20}",
        any_case=True,
    )

    def auth_headers(self) -> dict[str, str]:
        """The token lives in the URL path; Telegram reads no auth header."""
        return {}

    def batch_requests(self, batch: Sequence[Target]) -> int:
        """``getChat`` once to learn the id, then ``getChatMemberCount`` each time."""
        return sum(1 if t.platform_id else 2 for t in batch)

    async def fetch(
        self, client: httpx.AsyncClient, targets: Sequence[Target]
    ) -> list[FetchResult]:
        """One chat per request: no batch method exists."""
        try:
            return [await self._fetch_one(client, target) for target in targets]
        except PlatformError as exc:
            # Chained errors (httpx's, json's) may quote the URL or the body; the URL has the token.
            exc.__cause__ = exc.__context__ = None
            raise

    async def _fetch_one(self, client: httpx.AsyncClient, target: Target) -> FetchResult:
        """Read one chat, following a group-to-supergroup migration once."""
        chat = target.platform_id or target.handle
        for attempt in range(2):
            try:
                return await self._read(client, target.handle, chat, learn=not target.platform_id)
            except GoneError as gone:
                return Missing.of(target.handle, gone)
            except _Migrated as moved:
                if attempt:
                    break
                chat = moved.chat_id
        raise PlatformError(self.name, "chat migrated again after following migrate_to_chat_id")

    async def _read(
        self, client: httpx.AsyncClient, handle: str, chat: str, *, learn: bool
    ) -> Observation:
        """``getChat`` when the numeric id is not known yet, then ``getChatMemberCount``."""
        platform_id, title, username = chat, None, None
        if learn:
            info = await self._call(client, "getChat", chat)
            if not isinstance(info, dict) or not is_integer(info.get("id")):
                raise ParseError(self.name, "getChat result has no numeric chat id")
            platform_id = str(info["id"])
            title = info.get("title") if isinstance(info.get("title"), str) else None
            username = info.get("username") if isinstance(info.get("username"), str) else None
        members = count(
            await self._call(client, "getChatMemberCount", platform_id),
            platform=self.name,
            field_name="result",
        )
        if members is None:
            raise ParseError(self.name, "getChatMemberCount returned no count")
        return Observation(
            handle=handle,
            platform_id=platform_id,
            followers=members,
            following=None,
            posts=None,
            display_name=text_value(title),
            current_handle=f"@{username}" if username else None,
        )

    async def _call(self, client: httpx.AsyncClient, method: str, chat_id: str) -> Any:
        """One Bot API method; returns ``result`` (refusals are raised by ``platform_error``)."""
        token = quote(self.token or "", safe=":")
        body = await self._get_quietly(
            client, f"{self.origin()}/bot{token}/{method}", {"chat_id": chat_id}
        )
        if body.get("ok") is not True:
            raise ParseError(self.name, f"{method} answer is not a Bot API envelope")
        if "result" not in body:
            raise ParseError(self.name, f"{method} answer has no 'result'")
        return body["result"]

    async def _get_quietly(
        self, client: httpx.AsyncClient, url: str, params: dict[str, str]
    ) -> dict[str, Any]:
        """``get_json`` with exception chains cut: a library error may quote the URL."""
        failure = ""
        try:
            return await self.get_json(client, url, params=params)
        except PlatformError:
            raise
        except Exception as exc:
            # Anything else (decoding errors, aiohttp errors the transport does not map) may
            # carry the URL in its text; keep only its type.
            failure = type(exc).__name__
        raise TransientError(self.name, f"request failed ({failure})")

    def platform_error(self, response: httpx.Response, body: Any) -> PlatformError | None:
        """Read an ``ok: false`` envelope, whatever the status (proxies answer 200 with one)."""
        if not isinstance(body, dict) or body.get("ok") is not False:
            return None
        status = response.status_code
        description = self._description(body, response)
        parameters = body.get("parameters")
        parameters = parameters if isinstance(parameters, dict) else {}
        code = body.get("error_code")
        if status == 429 or code == 429:
            wait = parameters.get("retry_after")
            return RateLimitedError(
                self.name,
                f"flood control: {description}",
                http_status=status,
                # A 4,000-digit wait would not even convert to float: cut to a day first.
                retry_after=float(min(wait, MAX_WAIT_SECONDS))
                if isinstance(wait, int | float) and not isinstance(wait, bool)
                else retry_after_seconds(response.headers, self.clock),
            )
        if is_integer(parameters.get("migrate_to_chat_id")):
            return _Migrated(str(parameters["migrate_to_chat_id"]), status)
        if "chat not found" in description.lower():
            return GoneError(self.name, description, http_status=status)
        if status in (401, 404) or code in (401, 404):
            # The Bot API answers an unknown or malformed token with 401 or 404.
            return AuthError(
                self.name, f"bot token refused (HTTP {status}): {description}", http_status=status
            )
        if status == 403 or code == 403:
            return AuthError(self.name, f"HTTP {status}: {description}", http_status=status)
        if status < 300:
            # A refusal inside a 2xx (seen behind proxies) is still a refusal; other statuses
            # are left to the status rules (5xx is retried).
            return PlatformError(self.name, f"HTTP {status}: {description}", http_status=status)
        return None

    def error_text(self, response: httpx.Response) -> str:
        """The base's reading of an error, with the token scrubbed."""
        return self._scrub(super().error_text(response))

    def _description(self, body: dict[str, Any], response: httpx.Response) -> str:
        """The envelope's ``description`` (the platform's words), scrubbed and cut short."""
        text = body.get("description")
        if not isinstance(text, str) or not text:
            text = response.reason_phrase or "error"
        return self._scrub(text)[:200]

    def _scrub(self, text: str) -> str:
        """Remove the token (raw or URL-quoted) from text about to become a message."""
        if not self.token:
            return text
        for form in {self.token, quote(self.token, safe=":"), quote(self.token, safe="")}:
            text = text.replace(form, "<token>")
        return text
