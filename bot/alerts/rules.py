"""The alert rules, pure: what holds now for each account and platform, given stored facts.

Each rule returns ``Finding``s, one per (rule, subject) that holds; the evaluator opens an alert
for a new finding and resolves an open alert whose finding is gone. Only follower counts the
quality gate passed (ok or confirmed_drop) reach these rules: a suspect point never alerts.

- status: the account is ``not_found`` or ``suspended``; resolves when it is polled again.
- credentials: a platform's credentials are refused (accounts in ``auth_error``), one per platform.
- drop: the two newest good counts are both ``drop_percent`` % (or ``drop_followers``) below the
  highest good count of the ``drop_window`` before them (a drop that holds, never a one-poll dip);
  resolves when the count recovers above that line, or quietly once the newest count is more
  than the window past that high (the lower count is the new normal).
- blocked: a platform rate limited or with its breaker open for longer than ``platform_blocked``;
  resolves when the platform answers again.
- silent: no successful poll for ``missed_polls`` of the account's intervals.
- milestone: the newest good count passed a milestone no earlier good count had reached: an event,
  sent once, never resolved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import AlertRules
from bot.kinds import AccountStatus, AlertKind, GateState

STATUS_WORDS = {AccountStatus.NOT_FOUND: "not found", AccountStatus.SUSPENDED: "suspended"}
BLOCKED_WORDS = {GateState.RATE_LIMITED: "rate limited", GateState.CIRCUIT_OPEN: "not answering"}


@dataclass(frozen=True)
class AccountFacts:
    """What the store says about one configured account."""

    id: int
    platform: str
    handle: str
    label: str | None
    status: str
    rules: AlertRules
    interval: timedelta
    created_at: datetime
    last_success: datetime | None = None
    # Good follower counts, oldest first.
    points: Sequence[tuple[datetime, int]] = ()
    # The highest good count before the newest one, all history long (looked up only when the
    # newest count passes a milestone): a count back above a milestone it had passed is no news.
    previous_high: int | None = None

    @property
    def name(self) -> str:
        """``Label (platform:handle)``, or ``platform:handle`` without a label."""
        key = f"{self.platform}:{self.handle}"
        return f"{self.label} ({key})" if self.label else key

    @property
    def subject(self) -> str:
        """The alert's subject."""
        return f"account:{self.id}"


@dataclass(frozen=True)
class PlatformFacts:
    """A platform's stored state (``platform_state``)."""

    platform: str
    state: str
    until: datetime | None
    last_success_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class Finding:
    """A rule that holds for a subject now."""

    kind: AlertKind
    subject: str
    message: str
    account_id: int | None = None
    platform: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    # A milestone's value: part of its key, so each is raised once.
    value: int | None = None

    @property
    def key(self) -> str:
        """The alert's ``open_key``."""
        base = f"{self.kind}|{self.subject}"
        return base if self.value is None else f"{base}|{self.value}"


def account_findings(
    account: AccountFacts,
    *,
    now: datetime,
    milestones: Sequence[int],
    open_drop: Mapping[str, Any] | None,
    tz: ZoneInfo,
) -> list[Finding]:
    """Every rule that holds for one account (``open_drop``: the detail of its open drop alert)."""
    rules = account.rules
    if not rules.enabled:
        return []
    found: list[Finding] = []
    if rules.status and account.status in STATUS_WORDS:
        message = f"{account.name}: account {STATUS_WORDS[AccountStatus(account.status)]}"
        found.append(_of(account, AlertKind.STATUS, message, {"status": account.status}))
    drop = drop_finding(account, open_drop=open_drop)
    if drop is not None:
        found.append(drop)
    if rules.missed_polls is not None and account.status != AccountStatus.PAUSED:
        since = account.last_success or account.created_at
        if now - since > account.interval * rules.missed_polls:
            message = (
                f"{account.name}: no successful poll since {_when(since, tz)} "
                f"({rules.missed_polls} intervals of {span(account.interval)})"
            )
            found.append(_of(account, AlertKind.SILENT, message, {"since": since.isoformat()}))
    if rules.milestones and len(account.points) >= 2:
        latest = account.points[-1][1]
        before = max(account.points[-2][1], account.previous_high or 0)
        crossed = [m for m in milestones if before < m <= latest]
        if crossed:
            value = max(crossed)
            message = f"{account.name}: {value:,} followers reached ({latest:,})"
            found.append(
                Finding(
                    AlertKind.MILESTONE,
                    account.subject,
                    message,
                    account_id=account.id,
                    platform=account.platform,
                    detail={"milestone": value, "followers": latest},
                    value=value,
                )
            )
    return found


def drop_finding(account: AccountFacts, *, open_drop: Mapping[str, Any] | None) -> Finding | None:
    """The drop rule: opens on a drop that holds, stays while below its line within the window."""
    rules = account.rules
    if (rules.drop_percent is None and rules.drop_followers is None) or not account.points:
        return None
    at, latest = account.points[-1]
    if open_drop is not None:
        peak = int(open_drop["peak"])
        peak_at = datetime.fromisoformat(str(open_drop["peak_at"]))
        # Once the newest count is a window past the high, the lower count is the new normal.
        if is_drop(peak, latest, rules) and at - peak_at <= rules.drop_window:
            return _drop(account, peak, latest, dict(open_drop))
        return None
    if len(account.points) < 2:
        return None
    before = account.points[-2][1]
    window = [(n, when) for when, n in account.points[:-2] if when >= at - rules.drop_window]
    if not window:
        return None
    peak, peak_at = max(window)
    if not (is_drop(peak, before, rules) and is_drop(peak, latest, rules)):
        return None
    return _drop(account, peak, latest, {"peak": peak, "peak_at": peak_at.isoformat()})


def is_drop(peak: int, value: int, rules: AlertRules) -> bool:
    """True when ``value`` is at least the rule's share or number of followers below ``peak``."""
    loss = peak - value
    if loss <= 0:
        return False
    by_share = rules.drop_percent is not None and loss * 100 >= peak * rules.drop_percent
    return by_share or (rules.drop_followers is not None and loss >= rules.drop_followers)


def recovered_message(account_name: str, detail: Mapping[str, Any], latest: int | None) -> str:
    """What a drop alert's resolution says when the count came back."""
    now = f"{latest:,}" if latest is not None else "?"
    return f"{account_name}: followers back to {now} (were {int(detail['peak']):,} before the drop)"


def platform_findings(
    platforms: Sequence[PlatformFacts],
    accounts: Sequence[AccountFacts],
    *,
    now: datetime,
    blocked_for: timedelta | None,
    open_blocked: set[str],
    tz: ZoneInfo,
) -> list[Finding]:
    """Credentials refused per platform, and platforms blocked longer than ``blocked_for``."""
    found: list[Finding] = []
    refused: dict[str, list[AccountFacts]] = {}
    for account in accounts:
        rules = account.rules
        if rules.enabled and rules.credentials and account.status == AccountStatus.AUTH_ERROR:
            refused.setdefault(account.platform, []).append(account)
    for platform, names in sorted(refused.items()):
        shown = ", ".join(a.name for a in names[:3]) + (" …" if len(names) > 3 else "")
        message = f"{platform}: credentials refused for {len(names)} account(s): {shown}"
        found.append(_platform(AlertKind.CREDENTIALS, platform, message, {"accounts": len(names)}))
    watched = {a.platform for a in accounts if a.rules.enabled}
    for state in platforms:
        if blocked_for is None or state.platform not in watched or state.state == GateState.OK:
            continue
        since = state.last_success_at or state.updated_at
        key = f"{AlertKind.BLOCKED}|platform:{state.platform}"
        words = BLOCKED_WORDS.get(GateState(state.state), "failing")
        if key in open_blocked:
            message = f"{state.platform}: {words}"
        elif state.state in BLOCKED_WORDS and state.until is not None and state.until > now:
            if max(now, state.until) - since < blocked_for:
                continue
            message = (
                f"{state.platform}: {words} until {_when(state.until, tz)} "
                f"(no successful request since {_when(since, tz)})"
            )
        else:
            continue
        found.append(_platform(AlertKind.BLOCKED, state.platform, message, {"state": state.state}))
    return found


def span(delta: timedelta) -> str:
    """``1d``, ``6h``, ``30m`` or ``45s``: the largest whole unit."""
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _drop(account: AccountFacts, peak: int, latest: int, detail: dict[str, Any]) -> Finding:
    """A drop finding: how many followers, what share, from what high."""
    loss = peak - latest
    message = (
        f"{account.name}: followers down {loss:,} ({loss * 100 / peak:.1f}%) to {latest:,} "
        f"from {peak:,} within {span(account.rules.drop_window)}"
    )
    return _of(account, AlertKind.DROP, message, detail)


def _of(account: AccountFacts, kind: AlertKind, message: str, detail: dict[str, Any]) -> Finding:
    """A finding about one account."""
    return Finding(kind, account.subject, message, account.id, account.platform, detail)


def _platform(kind: AlertKind, platform: str, message: str, detail: dict[str, Any]) -> Finding:
    """A finding about one platform."""
    return Finding(kind, f"platform:{platform}", message, platform=platform, detail=detail)


def _when(instant: datetime, tz: ZoneInfo) -> str:
    """An instant as the configured zone reads it."""
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def passes_milestone(points: Sequence[tuple[datetime, int]], milestones: Sequence[int]) -> bool:
    """True when the newest count is above a milestone the one before it was below."""
    if len(points) < 2:
        return False
    before, latest = points[-2][1], points[-1][1]
    return any(before < m <= latest for m in milestones)
