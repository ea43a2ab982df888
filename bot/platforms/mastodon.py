"""Mastodon: lookup by ``acct`` once, then the 4.3 batch ``/api/v1/accounts?id[]=`` (40 ids)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, ClassVar

import httpx

from bot.errors import GoneError, ParseError
from bot.http.addresses import display_host, normalize_host
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

# A deleted account answers 404; a suspended one 410 Gone.
_GONE: dict[int, MissingStatus] = {404: "not_found", 410: "suspended"}


def split_handle(handle: str) -> tuple[str, str]:
    """``user@instance`` -> (user, instance)."""
    user, _, instance = handle.partition("@")
    return user, instance


class Mastodon(Adapter):
    """Mastodon accounts on any instance; a handle is ``user@instance``, the id ``id@instance``."""

    name: ClassVar[str] = "mastodon"
    default_base_url: ClassVar[str] = "https://{instance}"
    batch_size: ClassVar[int] = 40
    rate_budget: ClassVar[RateBudget] = RateBudget(requests=300, per_seconds=300)
    example_handle: ClassVar[str] = "Gargron@mastodon.social"
    token_env: ClassVar[str | None] = "MASTODON_TOKEN"
    # One @ between the user and an instance with a dot (``normalize_handle`` lower-cases it).
    # Mastodon's username rule (Account::USERNAME_RE): letters, digits and _, dots and dashes
    # inside; instances compare names in any case.
    handle_rule: ClassVar[HandleRule] = HandleRule(
        r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?@[^@]*\.[^@]*",
        "user@instance, the user of letters, digits, '_', '.' and '-'",
        any_case=True,
    )

    @classmethod
    def normalize_handle(cls, handle: str) -> str:
        """Strip a leading @; the instance a bare host name as a resolver reads it, in its own
        script (``mastodon。social`` is mastodon.social); the user keeps its case."""
        screened = cls.handle_rule.screen(handle, cls.example_handle)
        user, _, written = screened.lstrip("@").partition("@")
        try:
            # No port, path, query, fragment or user:pass@: nothing that moves the request.
            instance = display_host(normalize_host(written))
        except ValueError:
            raise ValueError(
                "expected user@instance, the instance a bare host name without port, path, "
                f"query or fragment (e.g. {cls.example_handle}), got {handle!r}"
            ) from None
        user, instance = split_handle(super().normalize_handle(f"{user}@{instance}"))
        return f"{user}@{instance.lower()}"

    def batch_key(self, target: Target) -> str:
        """One request serves accounts of one instance only."""
        return split_handle(target.handle)[1]

    def budget_key(self, target: Target) -> str:
        """Each instance limits its own clients; behind one ``base_url`` they share one budget."""
        return "" if self.base_url else split_handle(target.handle)[1]

    def instance_origin(self, instance: str) -> str:
        """``base_url`` replaces ``https://<instance>`` (its ASCII name) for every handle."""
        return self.base_url or self.default_base_url.format(instance=normalize_host(instance))

    def batch_requests(self, batch: Sequence[Target]) -> int:
        """One batch read for the known ids, one lookup per account without one."""
        unknown = sum(1 for t in batch if not t.platform_id)
        return unknown + (1 if unknown < len(batch) else 0)

    async def fetch(
        self, client: httpx.AsyncClient, targets: Sequence[Target]
    ) -> list[FetchResult]:
        """Batch-read the known ids, then look up the rest (and any id the batch dropped)."""
        instance = split_handle(targets[0].handle)[1]
        origin = self.instance_origin(instance)
        known = {t.platform_id.partition("@")[0]: t for t in targets if t.platform_id}
        results: list[FetchResult] = []
        found: set[str] = set()
        if known:
            response = await self.request(
                client, "GET", f"{origin}/api/v1/accounts", params=[("id[]", i) for i in known]
            )
            # Read the status here: any refusal of the batch route means "ask one by one".
            if response.status_code == 200:
                body = self.json_body(response)
                if not isinstance(body, list):
                    raise ParseError(self.name, "batch answer is not a JSON array")
                for item in body:
                    target = known.get(str(item.get("id"))) if isinstance(item, dict) else None
                    if target is not None:
                        results.append(
                            self.one(
                                target.handle,
                                partial(self._result, target.handle, instance, item),
                            )
                        )
                        found.add(target.handle)
            # Before 4.3 the batch route does not exist: fall back to one lookup per account.
        for target in targets:
            if target.handle not in found:
                results.append(await self._lookup(client, origin, target))
        return results

    async def _lookup(self, client: httpx.AsyncClient, origin: str, target: Target) -> FetchResult:
        """``/api/v1/accounts/lookup?acct=user`` on the account's home instance."""
        user, instance = split_handle(target.handle)
        try:
            body = await self.get_json(
                client, f"{origin}/api/v1/accounts/lookup", params={"acct": user}, gone=_GONE
            )
        except GoneError as gone:
            return Missing.of(target.handle, gone)
        return self.one(target.handle, partial(self._result, target.handle, instance, body))

    def _result(self, handle: str, instance: str, item: dict[str, Any]) -> FetchResult:
        """Parse one Account entity; a suspended account is a status, not zero counts."""
        if item.get("suspended"):
            return Missing(handle, "suspended", "account is suspended")
        raw_id = item.get("id")
        if not isinstance(raw_id, str | int) or not str(raw_id):
            raise ParseError(self.name, "account has no id")
        extra: dict[str, Any] = {}
        # Only flat values are kept: an answer's nested object is never stored as is.
        if (last := text_value(item.get("last_status_at"))) is not None:
            extra["last_status_at"] = last
        for key in ("moved", "limited", "memorial"):
            if item.get(key) is not None:
                extra[key] = bool(item[key])
        acct = item.get("acct")
        return Observation(
            handle=handle,
            platform_id=f"{raw_id}@{instance}",
            followers=count(
                item.get("followers_count"), platform=self.name, field_name="followers_count"
            ),
            following=count(
                item.get("following_count"), platform=self.name, field_name="following_count"
            ),
            posts=count(
                item.get("statuses_count"), platform=self.name, field_name="statuses_count"
            ),
            display_name=text_value(item.get("display_name")),
            current_handle=f"{acct}@{instance}"
            if isinstance(acct, str) and "@" not in acct
            else acct,
            extra=extra,
        )
