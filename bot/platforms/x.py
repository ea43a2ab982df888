"""X (Twitter) API v2: users by username, then by id once known, 100 per request."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, ClassVar

import httpx

from bot.errors import AuthError, ParseError, PlatformError
from bot.http.budget import RateBudget
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

_BY_USERNAMES = "/2/users/by"
_BY_IDS = "/2/users"
_USER_FIELDS = "public_metrics"
_EXTRA_METRICS = ("listed_count", "like_count", "media_count")


def _words(problem: dict[str, Any], fallback: str) -> str:
    """``title: detail`` of a problem, cut short."""
    parts = [str(problem[k]) for k in ("title", "detail") if problem.get(k)]
    return ": ".join(parts)[:200] or fallback


class X(Adapter):
    """X accounts by handle, then by numeric id, so a renamed handle keeps its history."""

    name: ClassVar[str] = "x"
    default_base_url: ClassVar[str] = "https://api.x.com"
    batch_size: ClassVar[int] = 100
    rate_budget: ClassVar[RateBudget] = RateBudget(requests=300, per_seconds=900)
    example_handle: ClassVar[str] = "DGSN_MAROC"
    token_env: ClassVar[str | None] = "X_BEARER_TOKEN"
    token_required: ClassVar[bool] = True
    access: ClassVar[str | None] = "an X API plan that includes users lookup (User: Read)"
    # The case is kept as written: the API matches usernames without it, reports keep it.
    handle_rule: ClassVar[HandleRule] = HandleRule(
        r"[A-Za-z0-9_]{1,15}", "an X handle: 1-15 letters, digits or '_'", any_case=True
    )

    def platform_error(self, response: httpx.Response, body: Any) -> PlatformError | None:
        """Usage caps come as 429, but waiting does not help: the plan must change."""
        problem = body if isinstance(body, dict) else {}
        kind = str(problem.get("type", ""))
        if kind.endswith("/usage-capped") or problem.get("title") == "UsageCapExceeded":
            return AuthError(
                self.name,
                f"usage cap reached: {_words(problem, 'usage capped')}",
                http_status=response.status_code,
            )
        return None

    def error_text(self, response: httpx.Response) -> str:
        """X's problem bodies say ``title: detail``."""
        body = json_or_none(response)
        return _words(body if isinstance(body, dict) else {}, response.reason_phrase or "error")

    def batch_requests(self, batch: Sequence[Target]) -> int:
        """One request for the known ids, one for the handles without an id."""
        known = sum(1 for t in batch if t.platform_id)
        return (1 if known else 0) + (1 if known < len(batch) else 0)

    async def fetch(
        self, client: httpx.AsyncClient, targets: Sequence[Target]
    ) -> list[FetchResult]:
        """Known ids in one request, handles without an id in another: at most two per batch."""
        by_id = {t.platform_id: t for t in targets if t.platform_id}
        by_name = {t.handle.lower(): t for t in targets if not t.platform_id}
        results: dict[str, FetchResult] = {}
        if by_id:
            results.update(await self._lookup(client, _BY_IDS, "ids", by_id))
        if by_name:
            results.update(await self._lookup(client, _BY_USERNAMES, "usernames", by_name))
        return [
            results.get(t.handle)
            or Missing(t.handle, "not_found", "absent from X's answer (no data, no error)")
            for t in targets
        ]

    async def _lookup(
        self, client: httpx.AsyncClient, path: str, param: str, wanted: dict[str, Target]
    ) -> dict[str, FetchResult]:
        """One batch request; ``data`` holds the hits and ``errors`` the misses, even on 200."""
        sent = [t.platform_id or t.handle for t in wanted.values()]
        body = await self.get_json(
            client,
            f"{self.origin()}{path}",
            params={param: ",".join(sent), "user.fields": _USER_FIELDS},
        )
        data, errors = body.get("data", []), body.get("errors", [])
        # The single-user routes answer ``data: {...}``; accept it so a proxy or cache may use them.
        data = [data] if isinstance(data, dict) else data
        if not isinstance(data, list) or not isinstance(errors, list):
            raise ParseError(self.name, "users lookup 'data' or 'errors' is not a list")
        if not data and not errors:
            raise ParseError(self.name, "users lookup answer has neither 'data' nor 'errors'")
        by_username = param == "usernames"
        found: dict[str, FetchResult] = {}
        for user in data:
            if not isinstance(user, dict):
                raise ParseError(self.name, "a user in 'data' is not a JSON object")
            key = str(user.get("username" if by_username else "id", ""))
            target = wanted.get(key.lower() if by_username else key)
            if target is not None:
                found[target.handle] = self.one(
                    target.handle, partial(self._observation, target.handle, user)
                )
        strangers = [e for e in errors if not self._missing(e, wanted, found, by_username)]
        if strangers and not found:
            # Errors about none of our accounts and no data: the request itself was refused.
            first = strangers[0] if isinstance(strangers[0], dict) else {}
            raise PlatformError(self.name, _words(first, "users lookup failed"))
        return found

    def _missing(
        self, error: Any, wanted: dict[str, Target], found: dict[str, FetchResult], lower: bool
    ) -> bool:
        """Record the account an ``errors[]`` entry is about; False if it names none of ours."""
        if not isinstance(error, dict):
            return False
        value = str(error.get("value") or error.get("resource_id") or "")
        target = wanted.get(value.lower() if lower else value)
        if target is None:
            return False
        detail = str(error.get("detail") or error.get("title") or "not found")[:200]
        suspended = error.get("title") == "Forbidden" or "suspended" in detail.lower()
        found.setdefault(
            target.handle, Missing(target.handle, "suspended" if suspended else "not_found", detail)
        )
        return True

    def _observation(self, handle: str, user: dict[str, Any]) -> Observation:
        """Parse one user object; counters live in ``public_metrics``."""
        user_id = user.get("id")
        if not isinstance(user_id, str) or not user_id.isdigit():
            raise ParseError(self.name, f"user {handle!r} has no numeric id")
        metrics = user.get("public_metrics")
        if metrics is None:
            metrics = {}
        if not isinstance(metrics, dict):
            raise ParseError(self.name, "'public_metrics' is not a JSON object")
        extra = {
            key: value
            for key in _EXTRA_METRICS
            if (value := count(metrics.get(key), platform=self.name, field_name=key)) is not None
        }
        username = user.get("username")
        return Observation(
            handle=handle,
            platform_id=user_id,
            followers=count(
                metrics.get("followers_count"), platform=self.name, field_name="followers_count"
            ),
            following=count(
                metrics.get("following_count"), platform=self.name, field_name="following_count"
            ),
            posts=count(metrics.get("tweet_count"), platform=self.name, field_name="tweet_count"),
            display_name=text_value(user.get("name")),
            current_handle=username if isinstance(username, str) and username else None,
            extra=extra,
        )
