"""Twitch Helix: ``/helix/users`` for up to 100 logins or ids, then the follower total per user."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import httpx

from bot.errors import AuthError, ParseError
from bot.http.budget import RateBudget
from bot.platforms.base import (
    Adapter,
    FetchResult,
    HandleRule,
    Missing,
    Observation,
    Target,
    Unreadable,
    count,
    text_value,
)

_USERS = "/helix/users"
_FOLLOWERS = "/helix/channels/followers"


class Twitch(Adapter):
    """Twitch channels: follower totals; ids learnt from ``/helix/users`` keep renames together."""

    name: ClassVar[str] = "twitch"
    default_base_url: ClassVar[str] = "https://api.twitch.tv"
    batch_size: ClassVar[int] = 100
    # Token bucket of 800 points per minute per client id; these endpoints cost 1 point each.
    rate_budget: ClassVar[RateBudget] = RateBudget(requests=800, per_seconds=60)
    example_handle: ClassVar[str] = "twitch"
    token_env: ClassVar[str | None] = "TWITCH_CREDENTIALS"
    token_required: ClassVar[bool] = True
    access: ClassVar[str | None] = "an app access token of a registered Twitch application"
    handle_rule: ClassVar[HandleRule] = HandleRule(
        r"[a-z0-9_]{1,25}",
        "a Twitch login: letters, digits and _, at most 25",
        lower=True,
        any_case=True,
    )

    def _credentials(self) -> tuple[str, str] | None:
        """``client_id:access_token`` split in two, or None when malformed."""
        client_id, sep, token = (self.token or "").partition(":")
        return (client_id, token) if sep and client_id and token else None

    def missing_credentials(self) -> str | None:
        """TWITCH_CREDENTIALS must be ``client_id:access_token``."""
        missing = super().missing_credentials()
        if missing is None and self._credentials() is None:
            return f"{self.token_env} must be client_id:access_token"
        return missing

    def auth_headers(self) -> dict[str, str]:
        """Every Helix call carries the Client-Id and the bearer token."""
        pair = self._credentials()
        if pair is None:
            return {}
        return {"Client-Id": pair[0], "Authorization": f"Bearer {pair[1]}"}

    def batch_requests(self, batch: Sequence[Target]) -> int:
        """One ``/helix/users`` plus one follower total per channel."""
        return 1 + len(batch)

    async def fetch(
        self, client: httpx.AsyncClient, targets: Sequence[Target]
    ) -> list[FetchResult]:
        """One ``/helix/users`` for the batch, then one follower request per user found."""
        if self._credentials() is None:
            raise AuthError(self.name, f"{self.token_env} must be client_id:access_token")
        params = [("id", t.platform_id) if t.platform_id else ("login", t.handle) for t in targets]
        users = await self._users(client, params)
        results: list[FetchResult] = []
        for target in targets:
            key = f"id:{target.platform_id}" if target.platform_id else f"login:{target.handle}"
            user = users.get(key)
            if user is None:
                # Unknown, deleted and suspended users are all simply absent from data[].
                what = "id" if target.platform_id else "login"
                results.append(
                    Missing(target.handle, "not_found", f"no Twitch user with this {what}")
                )
            else:
                try:
                    results.append(await self._observation(client, target.handle, user))
                except ParseError as exc:
                    # One channel's unreadable total is that channel's, not the batch's.
                    results.append(Unreadable(target.handle, exc))
        return results

    async def _users(
        self, client: httpx.AsyncClient, params: list[tuple[str, str]]
    ) -> dict[str, dict[str, Any]]:
        """The users found, keyed ``id:<id>`` and ``login:<login>``."""
        body = await self.get_json(client, f"{self.origin()}{_USERS}", params=params)
        data = body.get("data")
        if not isinstance(data, list):
            raise ParseError(self.name, "users answer has no 'data' list")
        users: dict[str, dict[str, Any]] = {}
        for user in data:
            if not isinstance(user, dict):
                raise ParseError(self.name, "a user is not a JSON object")
            user_id = user.get("id")
            if not isinstance(user_id, str) or not user_id.isdigit():
                raise ParseError(self.name, "user has no numeric id")
            users[f"id:{user_id}"] = user
            login = text_value(user.get("login"))
            if login is not None:
                users[f"login:{login.lower()}"] = user
        return users

    async def _observation(
        self, client: httpx.AsyncClient, handle: str, user: dict[str, Any]
    ) -> Observation:
        """The follower total comes from ``/helix/channels/followers`` (``total``)."""
        user_id = str(user["id"])
        body = await self.get_json(
            client,
            f"{self.origin()}{_FOLLOWERS}",
            params={"broadcaster_id": user_id, "first": "1"},
        )
        if "total" not in body:
            raise ParseError(self.name, "followers answer has no 'total'")
        extra: dict[str, Any] = {}
        broadcaster_type = text_value(user.get("broadcaster_type"))
        if broadcaster_type is not None:
            extra["broadcaster_type"] = broadcaster_type
        return Observation(
            handle=handle,
            platform_id=user_id,
            followers=count(body["total"], platform=self.name, field_name="total"),
            following=None,
            posts=None,
            display_name=text_value(user.get("display_name")),
            current_handle=text_value(user.get("login")),
            extra=extra,
        )
