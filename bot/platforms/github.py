"""GitHub REST: ``/users/{login}`` once, then ``/user/{id}`` so a renamed account keeps history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import httpx

from bot.errors import AuthError, GoneError, ParseError, PlatformError, RateLimitedError
from bot.http.budget import RateBudget
from bot.http.headers import retry_after_seconds
from bot.platforms.base import (
    Adapter,
    FetchResult,
    HandleRule,
    Missing,
    MissingStatus,
    Observation,
    Target,
    count,
    text_value,
)

_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
# GitHub asks clients to wait at least a minute after a secondary limit without retry-after.
_SECONDARY_WAIT = 60.0
# Deleted, renamed-away and suspended accounts all answer 404 Not Found.
_GONE: dict[int, MissingStatus] = {404: "not_found", 410: "not_found"}


class GitHub(Adapter):
    """GitHub users and organisations: followers, following and public repositories."""

    name: ClassVar[str] = "github"
    default_base_url: ClassVar[str] = "https://api.github.com"
    batch_size: ClassVar[int] = 1
    # Unauthenticated budget; a GITHUB_TOKEN raises the real limit to 5,000 per hour.
    rate_budget: ClassVar[RateBudget] = RateBudget(requests=60, per_seconds=3600)
    example_handle: ClassVar[str] = "octocat"
    token_env: ClassVar[str | None] = "GITHUB_TOKEN"
    token_required: ClassVar[bool] = False
    # Logins are case-insensitive: letters, digits and hyphens, 1-39, no leading hyphen (old
    # accounts may still have a trailing or doubled hyphen, so those are accepted).
    handle_rule: ClassVar[HandleRule] = HandleRule(
        r"[a-z0-9][a-z0-9-]{0,38}",
        "a GitHub login: letters, digits and hyphens, at most 39",
        lower=True,
        any_case=True,
    )

    async def fetch(
        self, client: httpx.AsyncClient, targets: Sequence[Target]
    ) -> list[FetchResult]:
        """One request per account: the REST API has no batch user endpoint."""
        return [await self._fetch_one(client, target) for target in targets]

    async def _fetch_one(self, client: httpx.AsyncClient, target: Target) -> FetchResult:
        """``/user/{id}`` once the numeric id is known, ``/users/{login}`` before."""
        known = target.platform_id if target.platform_id and target.platform_id.isdigit() else None
        path = f"/user/{known}" if known else f"/users/{target.handle}"
        try:
            body = await self.get_json(
                client, f"{self.origin()}{path}", headers=_HEADERS, gone=_GONE
            )
        except GoneError as gone:
            return Missing.of(target.handle, gone)
        return self._observation(target.handle, body)

    def platform_error(self, response: httpx.Response, body: Any) -> PlatformError | None:
        """Tell GitHub's rate-limit 403s from permission 403s; 401 is bad credentials."""
        status = response.status_code
        if status == 401:
            return AuthError(self.name, self.error_text(response), http_status=status)
        if status not in (403, 429):
            return None
        headers = response.headers
        message = self.error_text(response)
        if headers.get("x-ratelimit-remaining") == "0":
            # Primary limit: x-ratelimit-reset is the epoch second the window reopens.
            return RateLimitedError(
                self.name,
                f"primary rate limit exhausted: {message}",
                http_status=status,
                retry_after=retry_after_seconds(headers, self.clock),
            )
        lowered = message.lower()
        if (
            "retry-after" in headers
            or status == 429
            or "secondary rate limit" in lowered
            or "abuse" in lowered
        ):
            wait = retry_after_seconds(headers, self.clock)
            return RateLimitedError(
                self.name,
                f"secondary rate limit: {message}",
                http_status=status,
                retry_after=_SECONDARY_WAIT if wait is None else wait,
            )
        return AuthError(self.name, f"HTTP {status}: {message}", http_status=status)

    def _observation(self, handle: str, body: dict[str, Any]) -> Observation:
        """Parse a user or organisation object; the numeric id is required."""
        raw_id = body.get("id")
        if isinstance(raw_id, bool) or not isinstance(raw_id, int | str) or not str(raw_id):
            raise ParseError(self.name, "user has no numeric id")
        if not str(raw_id).isdigit():
            raise ParseError(self.name, f"user id is not numeric: {str(raw_id)[:40]!r}")
        extra: dict[str, Any] = {}
        gists = count(body.get("public_gists"), platform=self.name, field_name="public_gists")
        if gists is not None:
            extra["public_gists"] = gists
        if isinstance(body.get("type"), str):
            extra["type"] = body["type"]
        login = body.get("login")
        return Observation(
            handle=handle,
            platform_id=str(raw_id),
            followers=count(body.get("followers"), platform=self.name, field_name="followers"),
            following=count(body.get("following"), platform=self.name, field_name="following"),
            posts=count(body.get("public_repos"), platform=self.name, field_name="public_repos"),
            display_name=text_value(body.get("name")),
            current_handle=login if isinstance(login, str) and login else None,
            extra=extra,
        )
