"""Instagram: Graph ``business_discovery`` on your own professional account, one target a call."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

import httpx

from bot.errors import AuthError, GoneError, ParseError, PlatformError
from bot.http.budget import RateBudget
from bot.platforms._graph import GRAPH_HOURLY_CALLS, GRAPH_ORIGIN, GRAPH_VERSION, graph_error
from bot.platforms.base import (
    Adapter,
    FetchResult,
    HandleRule,
    Missing,
    Observation,
    Target,
    count,
    text_value,
)

DISCOVERY_FIELDS = "id,username,name,followers_count,follows_count,media_count"
_IG_USER_ID = re.compile(r"^[0-9]+$")


class Instagram(Adapter):
    """Instagram Business/Creator accounts read through business_discovery; personal ones fail."""

    name: ClassVar[str] = "instagram"
    default_base_url: ClassVar[str] = GRAPH_ORIGIN
    # business_discovery expands exactly one username per request.
    batch_size: ClassVar[int] = 1
    rate_budget: ClassVar[RateBudget] = RateBudget(requests=GRAPH_HOURLY_CALLS, per_seconds=3600)
    example_handle: ClassVar[str] = "instagram"
    token_env: ClassVar[str | None] = "INSTAGRAM_ACCESS_TOKEN"
    token_required: ClassVar[bool] = True
    access: ClassVar[str | None] = (
        "instagram_basic and pages_read_engagement on your own Instagram professional account"
    )
    platform_options: ClassVar[frozenset[str]] = frozenset({"ig_user_id"})
    # Usernames are 1-30 letters, digits, dots and underscores; Instagram lower-cases them.
    handle_rule: ClassVar[HandleRule] = HandleRule(
        r"[a-z0-9._]{1,30}",
        "an Instagram username: 1-30 letters, digits, '.' or '_'",
        lower=True,
        any_case=True,
    )

    def missing_credentials(self) -> str | None:
        """The token, and the id of the IG professional account the lookups run on."""
        missing = super().missing_credentials()
        if missing is not None:
            return missing
        ig_user_id = self.options.get("ig_user_id")
        if not ig_user_id:
            return "platforms.instagram.ig_user_id is not set"
        if not _IG_USER_ID.match(ig_user_id):
            return f"platforms.instagram.ig_user_id must be a numeric id, got {ig_user_id!r}"
        return None

    def platform_error(self, response: httpx.Response, body: Any) -> PlatformError | None:
        """Graph error bodies carry the real cause in ``error.code``."""
        return graph_error(self.name, response, body)

    async def fetch(
        self, client: httpx.AsyncClient, targets: Sequence[Target]
    ) -> list[FetchResult]:
        """One business_discovery request per target (the batch size is 1)."""
        problem = self.missing_credentials()
        if problem is not None:
            raise AuthError(self.name, problem)
        return [await self._discover(client, target) for target in targets]

    async def _discover(self, client: httpx.AsyncClient, target: Target) -> FetchResult:
        """``GET /vN/{ig_user_id}?fields=business_discovery.username(X){...}``."""
        ig_user_id = self.options["ig_user_id"]
        fields = f"business_discovery.username({target.handle}){{{DISCOVERY_FIELDS}}}"
        try:
            body = await self.get_json(
                client, f"{self.origin()}/{GRAPH_VERSION}/{ig_user_id}", params={"fields": fields}
            )
        except GoneError as gone:
            if ig_user_id in gone.names:
                # Our own account is the unknown object: a configuration problem, not the target.
                raise AuthError(
                    self.name,
                    f"platforms.instagram.ig_user_id is not readable: {gone.message}",
                    http_status=gone.http_status,
                ) from None
            return Missing.of(target.handle, gone)
        found = body.get("business_discovery")
        if not isinstance(found, dict):
            raise ParseError(self.name, "answer has no 'business_discovery' object")
        return self._observation(target.handle, found)

    def _observation(self, handle: str, user: dict[str, Any]) -> Observation:
        """Parse the discovered IG user; only its id is required besides the counters."""
        user_id = user.get("id")
        if not isinstance(user_id, str | int) or isinstance(user_id, bool) or not str(user_id):
            raise ParseError(self.name, f"business_discovery for {handle!r} has no id")
        username = user.get("username")
        return Observation(
            handle=handle,
            platform_id=str(user_id),
            followers=count(
                user.get("followers_count"), platform=self.name, field_name="followers_count"
            ),
            following=count(
                user.get("follows_count"), platform=self.name, field_name="follows_count"
            ),
            posts=count(user.get("media_count"), platform=self.name, field_name="media_count"),
            display_name=text_value(user.get("name")),
            current_handle=username if isinstance(username, str) and username else None,
        )
