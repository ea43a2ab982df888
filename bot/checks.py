"""``bot check``: is this setup ready? Credentials, one cheap real request per platform, budget.

Each platform in use (one with configured accounts) gets one row: whether its credential is
set, what one read of one configured account answered (each adapter's ``check``), the budget
in force and how many accounts it has. Rows hold the platforms' words, never a secret: the
caller redacts them like any other platform text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import httpx

from bot.clock import Clock
from bot.config import Settings
from bot.errors import (
    AuthError,
    PlatformError,
    RateLimitedError,
    RefusedAddressError,
    TransientError,
)
from bot.http.budget import RateBudget
from bot.platforms import REGISTRY
from bot.platforms.base import Adapter, Missing, Target, Unreadable

# "requires the 'pages_read_engagement' permission or the 'Page Public Content Access' feature"
_NAMED_PERMISSION = re.compile(r"'([^']{3,60})' (?:permission|feature)", re.IGNORECASE)
_UNITS = ((86_400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))


class CheckState(StrEnum):
    """What one platform's check found; only ``ok`` (and ``offline``, offline) is ready."""

    OK = "ok"
    OFFLINE = "not checked (offline)"
    NO_CREDENTIALS = "no credentials"
    AUTH_ERROR = "auth error"
    MISSING_PERMISSION = "missing permission"
    RATE_LIMITED = "rate limited"
    UNREACHABLE = "unreachable"
    FAILED = "failed"


READY = frozenset({CheckState.OK, CheckState.OFFLINE})


@dataclass(frozen=True)
class PlatformCheck:
    """One platform's row: credential found, request result and its words, budget, accounts."""

    platform: str
    credentials: str
    state: CheckState
    detail: str
    budget: str
    accounts: int

    @property
    def ready(self) -> bool:
        """Whether this platform can be polled as configured."""
        return self.state in READY


def platforms_in_use(settings: Settings) -> list[str]:
    """The platforms with configured accounts, in registry order."""
    used = {account.platform for account in settings.accounts}
    return [name for name in REGISTRY if name in used]


def budget_text(budget: RateBudget) -> str:
    """``300 per 15 minutes``: the budget as a person reads it."""
    seconds = budget.per_seconds
    for size, unit in _UNITS:
        if seconds >= size and seconds % size == 0:
            amount = int(seconds // size)
            span = unit if amount == 1 else f"{amount} {unit}s"
            return f"{budget.requests:,} per {span}"
    return f"{budget.requests:,} per {seconds:g}s"


def adapter_for(settings: Settings, platform: str, clock: Clock) -> Adapter:
    """The platform's adapter as configured, outside any daemon budget (one request is sent)."""
    entry = settings.platform(platform)
    return REGISTRY[platform](
        base_url=entry.base_url,
        token=entry.token.reveal() if entry.token else None,
        options=entry.options,
        clock=clock,
        allow_private_addresses=entry.allow_private_addresses,
    )


def credentials_text(settings: Settings, platform: str) -> str:
    """Which variable holds the credential and whether it is set; never the value."""
    entry = settings.platform(platform)
    adapter = REGISTRY[platform]
    variable = entry.token_env or adapter.token_env
    if variable is None:
        return "none needed"
    if entry.token is not None:
        return f"{variable} set"
    return f"{variable} missing" if adapter.token_required else f"{variable} not set (optional)"


async def check_settings(
    settings: Settings, clock: Clock, client: httpx.AsyncClient | None, *, offline: bool = False
) -> list[PlatformCheck]:
    """One row per platform in use; ``client`` None (or ``offline``) sends no request."""
    rows = []
    for platform in platforms_in_use(settings):
        accounts = [a for a in settings.accounts if a.platform == platform]
        adapter = adapter_for(settings, platform, clock)
        budget = settings.platform(platform).rate_limit or adapter.rate_budget
        problem = adapter.missing_credentials()
        if problem is not None:
            state, detail = CheckState.NO_CREDENTIALS, problem
        elif offline or client is None:
            state, detail = CheckState.OFFLINE, f"would read {accounts[0].key}"
        else:
            first = accounts[0]
            state, detail = await check_one(
                adapter, client, Target(first.handle, options=first.options)
            )
        rows.append(
            PlatformCheck(
                platform=platform,
                credentials=credentials_text(settings, platform),
                state=state,
                detail=detail,
                budget=budget_text(budget),
                accounts=len(accounts),
            )
        )
    return rows


async def check_one(
    adapter: Adapter, client: httpx.AsyncClient, target: Target
) -> tuple[CheckState, str]:
    """Send the adapter's check request for ``target`` and say what its answer means."""
    try:
        result = await adapter.check(client, target)
    except PlatformError as exc:
        return classify(adapter, exc)
    if isinstance(result, Unreadable):
        return classify(adapter, result.error)
    if isinstance(result, Missing):
        # The credentials worked; the account itself is the problem, and polling records it.
        return CheckState.OK, f"credentials accepted; {target.handle}: {result.status}"
    return CheckState.OK, f"read {target.handle}: {_followers(result.followers)}"


def classify(adapter: Adapter, error: PlatformError) -> tuple[CheckState, str]:
    """The state a failed check request stands for, with the platform's own words."""
    words = error.message
    if isinstance(error, RateLimitedError):
        return CheckState.RATE_LIMITED, words
    if isinstance(error, AuthError):
        if not error.missing_permission:
            return CheckState.AUTH_ERROR, words
        named = _NAMED_PERMISSION.findall(words)
        needs = " or ".join(dict.fromkeys(named)) if named else adapter.access
        return CheckState.MISSING_PERMISSION, f"needs {needs}: {words}" if needs else words
    if isinstance(error, TransientError | RefusedAddressError):
        return CheckState.UNREACHABLE, words
    return CheckState.FAILED, words


def _followers(value: int | None) -> str:
    """``12,300 followers`` or that the platform reports none."""
    return "no follower count reported" if value is None else f"{value:,} followers"
