"""Facebook Pages: one Graph multi-id read (``/vN/?ids=a,b``) for up to 50 Pages."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, ClassVar

import httpx

from bot.errors import GoneError, ParseError, PlatformError
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

PAGE_FIELDS = "id,name,username,followers_count,fan_count"
# An unknown alias fails the whole multi-id read; each retry drops the aliases it named.
_MAX_REQUESTS = 3


class Facebook(Adapter):
    """Facebook Pages by username or numeric id: followers and fan (like) counts, no post count."""

    name: ClassVar[str] = "facebook"
    default_base_url: ClassVar[str] = GRAPH_ORIGIN
    batch_size: ClassVar[int] = 50
    rate_budget: ClassVar[RateBudget] = RateBudget(requests=GRAPH_HOURLY_CALLS, per_seconds=3600)
    example_handle: ClassVar[str] = "DGSN.MAROC"
    token_env: ClassVar[str | None] = "FACEBOOK_ACCESS_TOKEN"
    token_required: ClassVar[bool] = True
    access: ClassVar[str | None] = (
        "the Page Public Metadata Access feature (Meta App Review), or a token of a Page you manage"
    )
    # A Page username (letters, digits, dots) or numeric id, kept as written.
    handle_rule: ClassVar[HandleRule] = HandleRule(
        r"[A-Za-z0-9][A-Za-z0-9.\-]{0,99}", "a Page username or numeric id"
    )

    def platform_error(self, response: httpx.Response, body: Any) -> PlatformError | None:
        """Graph error bodies carry the real cause in ``error.code``."""
        return graph_error(self.name, response, body)

    async def fetch(
        self, client: httpx.AsyncClient, targets: Sequence[Target]
    ) -> list[FetchResult]:
        """One request for all Pages; unknown aliases become Missing and the rest is re-read."""
        keys = {(t.platform_id or t.handle): t for t in targets}
        missing: dict[str, Missing] = {}
        body: dict[str, Any] = {}
        pending = list(keys)
        attempts = 0
        while pending:
            if attempts == _MAX_REQUESTS:
                raise PlatformError(self.name, "too many unknown Pages in one batch")
            attempts += 1
            try:
                body = await self._read(client, pending)
                break
            except GoneError as exc:
                named = {n.lower() for n in exc.names}
                gone = [k for k in pending if k.lower() in named]
                if not gone and len(pending) == 1 and not exc.names:
                    gone = pending
                if not gone:
                    raise PlatformError(
                        self.name, exc.message, http_status=exc.http_status
                    ) from None
                for key in gone:
                    missing[keys[key].handle] = Missing(keys[key].handle, "not_found", exc.message)
                pending = [k for k in pending if k not in gone]
        return [
            missing.get(t.handle) or self.one(t.handle, partial(self._result, t, body))
            for t in targets
        ]

    async def _read(self, client: httpx.AsyncClient, ids: list[str]) -> dict[str, Any]:
        """``GET /vN/?ids=...&fields=...``: an object keyed by the ids as requested."""
        return await self.get_json(
            client,
            f"{self.origin()}/{GRAPH_VERSION}/",
            params={"ids": ",".join(ids), "fields": PAGE_FIELDS},
        )

    def _result(self, target: Target, body: dict[str, Any]) -> FetchResult:
        """The Page object for ``target``: by requested key, else by id or username inside."""
        key = (target.platform_id or target.handle).lower()
        page = next((v for k, v in body.items() if k.lower() == key), None)
        if page is None:
            page = next(
                (
                    v
                    for v in body.values()
                    if isinstance(v, dict)
                    and key in (str(v.get("id", "")).lower(), str(v.get("username", "")).lower())
                ),
                None,
            )
        if page is None:
            return Missing(target.handle, "not_found", "Page absent from the multi-id answer")
        if not isinstance(page, dict):
            raise ParseError(self.name, f"the answer for {target.handle!r} is not a JSON object")
        return self._observation(target.handle, page)

    def _observation(self, handle: str, page: dict[str, Any]) -> Observation:
        """Parse a Page node; no followers_count means unknown (None), never zero."""
        page_id = page.get("id")
        if not isinstance(page_id, str | int) or isinstance(page_id, bool) or not str(page_id):
            raise ParseError(self.name, f"Page {handle!r} has no id")
        extra: dict[str, Any] = {}
        fans = count(page.get("fan_count"), platform=self.name, field_name="fan_count")
        if fans is not None:
            extra["fan_count"] = fans
        username = page.get("username")
        return Observation(
            handle=handle,
            platform_id=str(page_id),
            followers=count(
                page.get("followers_count"), platform=self.name, field_name="followers_count"
            ),
            following=None,
            posts=None,
            display_name=text_value(page.get("name")),
            current_handle=username if isinstance(username, str) and username else None,
            extra=extra,
        )
