"""YouTube Data API v3: ``channels.list`` by up to 50 channel ids; an @handle is resolved once."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httpx

from bot.errors import AuthError, ParseError, PlatformError, RateLimitedError
from bot.http.budget import RateBudget
from bot.http.headers import retry_after_seconds
from bot.platforms.base import (
    Adapter,
    FetchResult,
    HandleRule,
    Missing,
    Observation,
    Target,
    count,
    json_or_none,
    text_value,
)

_CHANNELS = "/youtube/v3/channels"
_PART = "snippet,statistics"
_CHANNEL_ID = r"UC[A-Za-z0-9_-]{22}"
# The daily quota resets at midnight Pacific time (YouTube's quota documentation).
_QUOTA_ZONE = ZoneInfo("America/Los_Angeles")
_DAILY_QUOTA = frozenset({"quotaExceeded", "dailyLimitExceeded"})
_SHORT_LIMIT = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RESOURCE_EXHAUSTED"})
_BAD_KEY = frozenset({"keyInvalid", "keyExpired", "API_KEY_INVALID", "API_KEY_EXPIRED"})


def is_channel_id(value: str) -> bool:
    """``UC`` followed by 22 URL-safe base64 characters."""
    return bool(re.fullmatch(_CHANNEL_ID, value))


def seconds_until_quota_reset(now: datetime) -> float:
    """Seconds from ``now`` (aware) to the next midnight in America/Los_Angeles."""
    local = now.astimezone(_QUOTA_ZONE)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=_QUOTA_ZONE)
    # Compare in UTC: subtracting two datetimes sharing a tzinfo would ignore a DST change.
    return (midnight.astimezone(UTC) - now.astimezone(UTC)).total_seconds()


def subscriber_precision(value: int) -> int:
    """The rounding step of a public subscriber count (3 significant figures above 1,000)."""
    if value < 1000:
        return 1
    step = int(10 ** (len(str(value)) - 3))
    # A count that is not a multiple of the step was not rounded (recordings before Sept 2019).
    return step if value % step == 0 else 1


def google_error(body: Any) -> tuple[str, set[str]]:
    """The message and every reason/status named in a Google API error body."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", set()
    message = error.get("message") if isinstance(error.get("message"), str) else ""
    reasons = {str(error["status"])} if isinstance(error.get("status"), str) else set()
    for key in ("errors", "details"):
        entries = error.get(key)
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("reason"), str):
                reasons.add(entry["reason"])
    return str(message), reasons


class YouTube(Adapter):
    """YouTube channels by id (50 per request); an @handle costs one ``forHandle`` call, once."""

    name: ClassVar[str] = "youtube"
    default_base_url: ClassVar[str] = "https://www.googleapis.com"
    batch_size: ClassVar[int] = 50
    # The default project quota: 10,000 units a day; every channels.list call costs 1 unit.
    rate_budget: ClassVar[RateBudget] = RateBudget(requests=10_000, per_seconds=86_400)
    request_cost: ClassVar[int] = 1
    example_handle: ClassVar[str] = "@GoogleDevelopers"
    token_env: ClassVar[str | None] = "YOUTUBE_API_KEY"
    token_required: ClassVar[bool] = True
    access: ClassVar[str | None] = (
        "the YouTube Data API v3 enabled in the key's Google Cloud project"
    )
    # A channel id as is, or an @handle keeping its @: 3-30 letters (any script), digits,
    # underscores, hyphens and periods.
    handle_rule: ClassVar[HandleRule] = HandleRule(
        r"@[\w.-]{3,30}",
        "a channel id (UC followed by 22 letters, digits, - or _) or an @handle",
        at="keep",
        ids=_CHANNEL_ID,
        # @handles are one account in any case; channel ids (``ids``) are case-sensitive.
        any_case=True,
    )

    def auth_headers(self) -> dict[str, str]:
        """The API key travels as the ``key`` query parameter, not as a header."""
        return {}

    def batch_requests(self, batch: Sequence[Target]) -> int:
        """One ``forHandle`` per unresolved @handle, then one read of the ids."""
        unresolved = sum(1 for t in batch if not t.platform_id and not is_channel_id(t.handle))
        return unresolved + 1

    async def fetch(
        self, client: httpx.AsyncClient, targets: Sequence[Target]
    ) -> list[FetchResult]:
        """Resolve unknown @handles one by one, then read every known id 50 at a time."""
        try:
            return await self._fetch(client, targets)
        except PlatformError as exc:
            # A chained httpx error may quote the URL, and the URL carries the key.
            exc.__cause__ = exc.__context__ = None
            raise

    async def _fetch(
        self, client: httpx.AsyncClient, targets: Sequence[Target]
    ) -> list[FetchResult]:
        """The work of ``fetch``."""
        results: dict[int, FetchResult] = {}
        by_id: dict[str, list[int]] = {}
        for index, target in enumerate(targets):
            channel_id = target.platform_id or (
                target.handle if is_channel_id(target.handle) else None
            )
            if channel_id:
                by_id.setdefault(channel_id, []).append(index)
            else:
                results[index] = await self._by_handle(client, target.handle)
        ids = list(by_id)
        for start in range(0, len(ids), self.batch_size):
            chunk = ids[start : start + self.batch_size]
            items = await self._list(client, [("id", ",".join(chunk)), ("maxResults", "50")])
            found = {str(item.get("id")): item for item in items}
            for channel_id in chunk:
                item = found.get(channel_id)
                for index in by_id[channel_id]:
                    handle = targets[index].handle
                    results[index] = (
                        self.one(handle, partial(self._observation, handle, item))
                        if item is not None
                        else Missing(handle, "not_found", "channel not found or terminated")
                    )
        return [results[index] for index in range(len(targets))]

    async def _by_handle(self, client: httpx.AsyncClient, handle: str) -> FetchResult:
        """``forHandle=@name``: exactly one filter per call, so one request per handle."""
        items = await self._list(client, [("forHandle", handle)])
        if not items:
            return Missing(handle, "not_found", "no channel has this handle")
        return self.one(handle, partial(self._observation, handle, items[0]))

    async def _list(
        self, client: httpx.AsyncClient, query: list[tuple[str, str]]
    ) -> list[dict[str, Any]]:
        """One ``channels.list`` call; an answer without ``items`` means nothing matched."""
        params = [("part", _PART), *query]
        if self.token:
            params.append(("key", self.token))
        body = await self.get_json(client, f"{self.origin()}{_CHANNELS}", params=params)
        items = body.get("items", [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ParseError(self.name, "channels.list 'items' is not a list of channels")
        if not all(isinstance(i.get("id"), str) and i["id"] for i in items):
            raise ParseError(self.name, "a channel in channels.list has no id")
        return items

    def _observation(self, handle: str, item: dict[str, Any]) -> Observation:
        """Parse one channel resource; counts are digit strings, subscribers are rounded."""
        channel_id = item.get("id")
        if not isinstance(channel_id, str) or not channel_id:
            raise ParseError(self.name, "channel has no id")
        stats = item.get("statistics") or {}
        snippet = item.get("snippet") or {}
        if not isinstance(stats, dict) or not isinstance(snippet, dict):
            raise ParseError(self.name, "channel 'statistics' or 'snippet' is not an object")
        followers = None
        if stats.get("hiddenSubscriberCount") is not True:
            followers = count(
                stats.get("subscriberCount"), platform=self.name, field_name="subscriberCount"
            )
        views = count(stats.get("viewCount"), platform=self.name, field_name="viewCount")
        custom_url = snippet.get("customUrl")
        return Observation(
            handle=handle,
            platform_id=channel_id,
            followers=followers,
            following=None,
            posts=count(stats.get("videoCount"), platform=self.name, field_name="videoCount"),
            display_name=text_value(snippet.get("title")),
            current_handle=custom_url
            if isinstance(custom_url, str) and custom_url.startswith("@")
            else None,
            extra={"views": views} if views is not None else {},
            precision=subscriber_precision(followers) if followers is not None else 1,
        )

    def platform_error(self, response: httpx.Response, body: Any) -> PlatformError | None:
        """Google error bodies: the daily quota, short-term limits and refused keys."""
        message, reasons = google_error(body)
        status = response.status_code
        text = self._scrub(message or response.reason_phrase or "error")
        if reasons & _DAILY_QUOTA:
            return RateLimitedError(
                self.name,
                f"daily quota exhausted (resets at midnight Pacific): {text}",
                http_status=status,
                retry_after=seconds_until_quota_reset(self.clock()),
            )
        if reasons & _SHORT_LIMIT:
            return RateLimitedError(
                self.name,
                f"rate limited: {text}",
                http_status=status,
                retry_after=retry_after_seconds(response.headers, self.clock),
            )
        if reasons & _BAD_KEY or "API key not valid" in message:
            return AuthError(self.name, f"API key refused: {text}", http_status=status)
        return None

    def error_text(self, response: httpx.Response) -> str:
        """Google nests its words under ``error.message``; never echo the key."""
        message, _ = google_error(json_or_none(response))
        return self._scrub(message or super().error_text(response))

    def _scrub(self, text: str) -> str:
        """Remove the API key from text that is about to become a message."""
        return text.replace(self.token, "<key>") if self.token else text
