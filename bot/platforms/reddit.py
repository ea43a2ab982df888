"""Reddit: app-only OAuth, subreddits batched by fullname via ``/api/info``, users one by one.

Private, quarantined, gated, banned and nonexistent subreddits all become ``not_found`` (the
message says which): an app-only token can read none of them, and Reddit gives them no counts.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, ClassVar, Unpack
from urllib.parse import quote

import httpx

from bot.errors import AuthError, GoneError, ParseError, PlatformError
from bot.http.budget import RateBudget
from bot.platforms.base import (
    Adapter,
    FetchResult,
    HandleRule,
    Missing,
    Observation,
    Target,
    Wiring,
    count,
    text_value,
)

_HANDLE = re.compile(r"^/?(r|u|user)/([A-Za-z0-9_.:-]+)/?$", re.IGNORECASE)
# Names Reddit looks subreddits up by (r2 ``Subreddit.is_valid_name``): today's 3-21 letters,
# digits and _, the legacy two-letter language ones, ``t:`` time subreddits and reddit.com.
_SUBREDDIT = re.compile(
    r"[A-Za-z0-9_]{2,21}|t:[A-Za-z0-9][A-Za-z0-9_]{2,22}|reddit\.com", re.IGNORECASE
)
_USERNAME = re.compile(r"[A-Za-z0-9_-]{3,20}")
_TOKEN_ORIGIN = "https://www.reddit.com"
_TOKEN_PATH = "/api/v1/access_token"
# Renew a little before Reddit's own expiry so a poll never carries a token that dies mid-way.
_RENEW_MARGIN = 60.0
_FORBIDDEN_REASONS = frozenset({"private", "quarantined", "gated"})


class Reddit(Adapter):
    """Reddit subreddits (``r/name``: subscribers) and users (``u/name``: profile followers)."""

    name: ClassVar[str] = "reddit"
    default_base_url: ClassVar[str] = "https://oauth.reddit.com"
    batch_size: ClassVar[int] = 100
    # 100 queries per minute per OAuth client id (averaged over 10 minutes).
    rate_budget: ClassVar[RateBudget] = RateBudget(requests=100, per_seconds=60)
    example_handle: ClassVar[str] = "r/Python"
    token_env: ClassVar[str | None] = "REDDIT_CREDENTIALS"
    token_required: ClassVar[bool] = True
    access: ClassVar[str | None] = (
        "a Reddit script or web app with API access (private subreddits need membership)"
    )
    # The words of the error: ``normalize_handle`` reads the two kinds of name itself.
    handle_rule: ClassVar[HandleRule] = HandleRule(
        r"[ru]/.+", "r/<subreddit> or u/<user>", any_case=True
    )

    def __init__(
        self, *, monotonic: Callable[[], float] = time.monotonic, **wiring: Unpack[Wiring]
    ) -> None:
        super().__init__(**wiring)
        self._access: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        # Token lifetimes are measured on this clock: a wall-clock jump must not expire them.
        self.monotonic = monotonic

    @classmethod
    def normalize_handle(cls, handle: str) -> str:
        """``r/name`` or ``u/name`` (``/r/``, ``user/`` accepted); the name keeps its case."""
        match = _HANDLE.match(cls.handle_rule.screen(handle, cls.example_handle))
        kind = match.group(1).lower()[0] if match else ""
        name = match.group(2) if match else ""
        pattern = _SUBREDDIT if kind == "r" else _USERNAME
        if not match or not pattern.fullmatch(name):
            raise cls.handle_rule.refusal(handle, cls.example_handle)
        return f"{kind}/{name}"

    def missing_credentials(self) -> str | None:
        """REDDIT_CREDENTIALS must be ``client_id:client_secret``."""
        missing = super().missing_credentials()
        if missing is None and self._client_pair() is None:
            return f"{self.token_env} must be client_id:client_secret"
        return missing

    def batch_key(self, target: Target) -> str:
        """Subreddits share ``/api/info`` requests; each user costs a request of its own."""
        return "r" if target.handle.startswith("r/") else target.handle

    def auth_headers(self) -> dict[str, str]:
        """The bearer token is added per request (it is renewed); never the client secret."""
        return {}

    def batch_requests(self, batch: Sequence[Target]) -> int:
        """One ``/api/info`` for known subreddits, an about page for each of the rest."""
        known = sum(1 for t in batch if (t.platform_id or "").startswith("t5_"))
        return (1 if known else 0) + len(batch) - known

    async def fetch(
        self, client: httpx.AsyncClient, targets: Sequence[Target]
    ) -> list[FetchResult]:
        """Known subreddit fullnames in one ``/api/info``; the rest through their about page."""
        known = {
            t.platform_id: t
            for t in targets
            if t.handle.startswith("r/") and t.platform_id and t.platform_id.startswith("t5_")
        }
        results: dict[str, FetchResult] = {}
        if known:
            results.update(await self._info(client, known))
        for target in targets:
            if target.handle not in results:
                results[target.handle] = await self._about(client, target)
        return [results[t.handle] for t in targets]

    async def _info(
        self, client: httpx.AsyncClient, known: dict[str, Target]
    ) -> dict[str, FetchResult]:
        """``/api/info?id=t5_a,t5_b``: a Listing; unreadable subreddits are left out of it."""
        body = await self._call(client, "/api/info", {"id": ",".join(known)})
        data = body.get("data")
        children = data.get("children") if isinstance(data, dict) else None
        if not isinstance(children, list):
            raise ParseError(self.name, "api/info answer is not a Listing with children")
        found: dict[str, FetchResult] = {}
        for child in children:
            item = child.get("data") if isinstance(child, dict) else None
            target = known.get(str(item.get("name"))) if isinstance(item, dict) else None
            if target is not None and isinstance(item, dict):
                found[target.handle] = self.one(
                    target.handle, partial(self._subreddit, target.handle, item)
                )
        return found

    async def _about(self, client: httpx.AsyncClient, target: Target) -> FetchResult:
        """``/r/{name}/about`` or ``/user/{name}/about``; gone answers become statuses."""
        kind, _, name = target.handle.partition("/")
        # Legacy names keep their dot or colon in the path: /r/reddit.com/about, /r/t:name/about.
        quoted = quote(name, safe=":")
        path = f"/r/{quoted}/about" if kind == "r" else f"/user/{quoted}/about"
        try:
            body = await self._call(client, path)
        except GoneError as gone:
            return Missing.of(target.handle, gone)
        data = body.get("data")
        expected = "t5" if kind == "r" else "t2"
        if not isinstance(data, dict) or body.get("kind") != expected:
            raise ParseError(self.name, f"about answer is not a {expected} thing")
        if kind == "r":
            return self.one(target.handle, partial(self._subreddit, target.handle, data))
        return self.one(target.handle, partial(self._user, target, data))

    def _subreddit(self, handle: str, data: dict[str, Any]) -> Observation:
        """A t5: subscribers are the followers; Reddit has no post or following count."""
        fullname = text_value(data.get("name")) or text_value(data.get("id"))
        if fullname is None:
            raise ParseError(self.name, "subreddit has no fullname or id")
        active = data.get("active_user_count")
        extra = (
            {}
            if active is None
            else {"active_user_count": self._count(active, "active_user_count")}
        )
        return self._observation(
            handle, fullname if fullname.startswith("t5_") else f"t5_{fullname}", data, extra
        )

    def _user(self, target: Target, data: dict[str, Any]) -> FetchResult:
        """A t2: followers are the subscribers of the ``u_<name>`` profile subreddit."""
        if data.get("is_suspended") is True:
            return Missing(target.handle, "suspended", "account is suspended")
        raw_id = text_value(data.get("id"))
        if raw_id is None:
            raise ParseError(self.name, "user has no id")
        # Karma can be negative, so it is kept as reported rather than parsed as a count.
        extra = {
            key: data[key]
            for key in ("link_karma", "comment_karma", "total_karma")
            if isinstance(data.get(key), int) and not isinstance(data[key], bool)
        }
        profile = data.get("subreddit")
        profile = profile if isinstance(profile, dict) else {}
        shown = {**profile, "display_name": data.get("name")}
        return self._observation(target.handle, f"t2_{raw_id}", shown, extra)

    def _observation(
        self, handle: str, fullname: str, data: dict[str, Any], extra: dict[str, Any]
    ) -> Observation:
        """Subscribers, title and name of a subreddit (a user's is its profile subreddit)."""
        shown = text_value(data.get("display_name"))
        return Observation(
            handle=handle,
            platform_id=fullname,
            followers=self._count(data.get("subscribers"), "subscribers"),
            following=None,
            posts=None,
            display_name=text_value(data.get("title")),
            current_handle=f"{handle[0]}/{shown}" if shown else None,
            extra=extra,
        )

    def _count(self, value: Any, field_name: str) -> int | None:
        """``count`` with this platform's name."""
        return count(value, platform=self.name, field_name=field_name)

    def platform_error(self, response: httpx.Response, body: Any) -> PlatformError | None:
        """Missing, banned, private and quarantined answers are statuses of the target."""
        status = response.status_code
        if response.url.path.endswith(_TOKEN_PATH):
            return self._token_error(response)
        reason = text_value(body.get("reason")) if isinstance(body, dict) else None
        words: str | None = None
        if status in (301, 302) and "/subreddits/search" in response.headers.get("location", ""):
            # A subreddit that never existed redirects to the subreddit search.
            words = "subreddit does not exist"
        elif status == 400 and reason == "USER_DOESNT_EXIST":
            words = "that user doesn't exist"
        elif status == 403 and reason in _FORBIDDEN_REASONS:
            words = str(reason)
        elif status == 404:
            words = reason or self.error_text(response)
        return None if words is None else GoneError(self.name, words, http_status=status)

    def _token_error(self, response: httpx.Response) -> PlatformError | None:
        """The token endpoint refuses bad client credentials with 400, 401 or 403."""
        status = response.status_code
        if status in (400, 401, 403):
            text = self.error_text(response)
            return AuthError(self.name, f"client credentials refused: {text}", http_status=status)
        return None

    # OAuth -----------------------------------------------------------------------------

    def _client_pair(self) -> tuple[str, str] | None:
        """``client_id:client_secret`` split in two, or None when malformed."""
        client_id, sep, secret = (self.token or "").partition(":")
        return (client_id, secret) if sep and client_id and secret else None

    async def _call(
        self, client: httpx.AsyncClient, path: str, params: Any = None
    ) -> dict[str, Any]:
        """GET with the cached token; a 401 drops it and the request is tried once more."""
        for _ in range(2):
            token = await self._access_token(client)
            headers = {"Authorization": f"bearer {token}"}
            try:
                return await self.get_json(
                    client, f"{self.origin()}{path}", params=params, headers=headers
                )
            except AuthError as exc:
                if exc.http_status != 401:
                    raise
                if self._access == token:
                    self._access = None
        raise AuthError(self.name, "access token refused even after renewal", http_status=401)

    async def _access_token(self, client: httpx.AsyncClient) -> str:
        """The cached app-only token, or a new one; concurrent batches share one request."""
        async with self._lock:
            if self._access is None or self.monotonic() >= self._expires_at:
                token, lifetime = await self._request_token(client)
                self._access = token
                self._expires_at = self.monotonic() + max(0.0, lifetime - _RENEW_MARGIN)
            return self._access

    async def _request_token(self, client: httpx.AsyncClient) -> tuple[str, float]:
        """Client-credentials grant on www.reddit.com (or the configured origin)."""
        pair = self._client_pair()
        if pair is None:
            raise AuthError(self.name, f"{self.token_env} must be client_id:client_secret")
        url = f"{self.base_url or _TOKEN_ORIGIN}{_TOKEN_PATH}"
        # www.reddit.com keeps a budget of its own: this request does not spend the API's.
        body = await self.post_json(
            client, url, data={"grant_type": "client_credentials"}, auth=pair, budget=False
        )
        return self._parse_token(body)

    def _parse_token(self, body: dict[str, Any]) -> tuple[str, float]:
        """The access token and its lifetime in seconds from the token answer."""
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            # Reddit answers some refusals with 200 and {"error": "..."}.
            error = body.get("error")
            if isinstance(error, str) and error:
                raise AuthError(self.name, f"token request refused: {error[:100]}")
            raise ParseError(self.name, "token answer has no access_token")
        lifetime = count(body.get("expires_in"), platform=self.name, field_name="expires_in")
        return token, float(3600 if lifetime is None else lifetime)
