"""Bluesky: ``app.bsky.actor.getProfiles`` on the public AppView, 25 actors per request."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, ClassVar

import httpx

from bot.errors import GoneError, ParseError, PlatformError
from bot.http.budget import RateBudget
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

_PROFILES = "/xrpc/app.bsky.actor.getProfiles"
_PROFILE = "/xrpc/app.bsky.actor.getProfile"
# XRPC error names on getProfile and the account status each one means.
_MISSING_ERRORS: dict[str, MissingStatus] = {
    "AccountTakedown": "suspended",
    "AccountDeactivated": "not_found",
    "InvalidRequest": "not_found",
}


class Bluesky(Adapter):
    """Bluesky profiles by handle, then by DID once known, so a renamed handle keeps its history."""

    name: ClassVar[str] = "bluesky"
    default_base_url: ClassVar[str] = "https://public.api.bsky.app"
    batch_size: ClassVar[int] = 25
    # The AppView publishes no number; the PDS limit is the documented one.
    rate_budget: ClassVar[RateBudget] = RateBudget(requests=3000, per_seconds=300)
    example_handle: ClassVar[str] = "bsky.app"
    # Handles are DNS names: lower-case, at least one dot, no trailing dot.
    # atproto.com/specs/handle: ASCII DNS labels of 1-63, at most 253 in all, a letter first in
    # the last label. DIDs (atproto.com/specs/did): did:method:id, id of ASCII ._:%- and letters.
    handle_rule: ClassVar[HandleRule] = HandleRule(
        r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?",
        "a domain-like handle (ASCII letters, digits, '-' and dots) or a DID",
        lower=True,
        ids=r"did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]",
        any_case=True,
    )

    @classmethod
    def normalize_handle(cls, handle: str) -> str:
        """A DID (``did:plc:...``) as is, lower-cased; anything else follows ``handle_rule``."""
        screened = cls.handle_rule.screen(handle, cls.example_handle)
        cleaned = screened.lstrip("@").lower()
        if cleaned.startswith("did:"):
            return cls.handle_rule.apply_screened(cleaned, cleaned, cls.example_handle)
        return cls.handle_rule.apply_screened(screened, handle, cls.example_handle)

    def platform_error(self, response: httpx.Response, body: Any) -> PlatformError | None:
        """getProfile names a missing or taken-down account in its XRPC error (HTTP 400)."""
        error = body.get("error") if isinstance(body, dict) else None
        # Only on getProfile: on getProfiles the same names would fail the whole batch.
        if (
            response.status_code == 400
            and response.url.path.endswith(_PROFILE)
            and error in _MISSING_ERRORS
        ):
            return GoneError(
                self.name,
                self.error_text(response),
                status=_MISSING_ERRORS[error],
                http_status=response.status_code,
            )
        return None

    async def fetch(
        self, client: httpx.AsyncClient, targets: Sequence[Target]
    ) -> list[FetchResult]:
        """One getProfiles call; actors it leaves out are asked about one by one."""
        actors = {(t.platform_id or t.handle).lower(): t for t in targets}
        body = await self.get_json(
            client, f"{self.origin()}{_PROFILES}", params=[("actors", a) for a in actors]
        )
        profiles = body.get("profiles")
        if not isinstance(profiles, list):
            raise ParseError(self.name, "getProfiles answer has no 'profiles' list")
        by_key: dict[str, FetchResult] = {}
        for profile in profiles:
            if not isinstance(profile, dict):
                raise ParseError(self.name, "a profile is not a JSON object")
            for key in (
                str(profile.get("did", "")).lower(),
                str(profile.get("handle", "")).lower(),
            ):
                target = actors.get(key)
                if target is not None and target.handle not in by_key:
                    by_key[target.handle] = self.one(
                        target.handle, partial(self._observation, target.handle, profile)
                    )
        results: list[FetchResult] = []
        for target in targets:
            result = by_key.get(target.handle)
            if result is None:
                result = await self._why_missing(client, target)
            results.append(result)
        return results

    async def _why_missing(self, client: httpx.AsyncClient, target: Target) -> FetchResult:
        """getProfile on an omitted actor: its XRPC error says not found or taken down."""
        actor = target.platform_id or target.handle
        try:
            profile = await self.get_json(
                client, f"{self.origin()}{_PROFILE}", params={"actor": actor}
            )
        except GoneError as gone:
            return Missing.of(target.handle, gone)
        return self.one(target.handle, partial(self._observation, target.handle, profile))

    def _observation(self, handle: str, profile: dict[str, Any]) -> Observation:
        """Parse a profileViewDetailed; only the DID is required besides the counters."""
        did = profile.get("did")
        if not isinstance(did, str) or not did.startswith("did:"):
            raise ParseError(self.name, "profile has no DID")
        return Observation(
            handle=handle,
            platform_id=did,
            followers=count(
                profile.get("followersCount"), platform=self.name, field_name="followersCount"
            ),
            following=count(
                profile.get("followsCount"), platform=self.name, field_name="followsCount"
            ),
            posts=count(profile.get("postsCount"), platform=self.name, field_name="postsCount"),
            display_name=text_value(profile.get("displayName")),
            current_handle=profile.get("handle"),
        )
