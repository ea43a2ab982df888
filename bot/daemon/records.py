"""One account's result as the rows to store and the line ``bot poll`` prints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from bot.daemon.gating import Decision
from bot.errors import AuthError, PlatformError
from bot.http.redact import Redactor
from bot.kinds import AccountStatus, PollOutcome, Quality
from bot.output.text import storable
from bot.platforms.base import FetchResult, Missing, Observation, Unreadable
from bot.store.claims import Pollable
from bot.store.writes import PollRecord, SnapshotValues

# When an account is due next, from this poll's outcome and quality (None: on request only).
Schedule = Callable[[PollOutcome, Quality], datetime | None]


@dataclass(frozen=True, slots=True)
class PollResult:
    """One line of ``bot poll`` output."""

    platform: str
    handle: str
    outcome: PollOutcome | Literal["deferred"]
    followers: int | None
    following: int | None
    posts: int | None
    message: str | None
    duration_ms: int = 0

    def row(self) -> dict[str, object]:
        """The line as the output formatter takes it."""
        return {
            "platform": self.platform,
            "handle": self.handle,
            "outcome": self.outcome,
            "followers": self.followers,
            "following": self.following,
            "posts": self.posts,
            "message": self.message,
            "duration_ms": self.duration_ms,
        }


def refused_line(line: PollResult, why: str) -> PollResult:
    """The line of a poll whose result the store refused."""
    return replace(
        line,
        outcome=PollOutcome.PARSE_ERROR,
        followers=None,
        following=None,
        posts=None,
        message=why,
    )


def to_record(
    account: Pollable,
    result: FetchResult | PlatformError,
    started: tuple[datetime, int],
    decision: Decision,
    redactor: Redactor,
    schedule: Schedule,
) -> tuple[PollRecord, PollResult]:
    """Turn one account's result into the rows to store and the line to print."""
    at, elapsed = started
    account_id = account.id or 0
    key = (account.platform, account.handle)
    if isinstance(result, Unreadable):
        result = result.error
    if isinstance(result, Observation):
        outcome = PollOutcome.SUSPECT if decision.quality == Quality.SUSPECT else PollOutcome.OK
        # A display name the platform did not report this time (None) is not a change.
        changed = result.platform_id != account.platform_id or (
            result.display_name is not None and result.display_name != account.display_name
        )
        record = PollRecord(
            account_id=account_id,
            started_at=at,
            duration_ms=elapsed,
            outcome=outcome,
            status=AccountStatus.ACTIVE,
            next_poll_at=schedule(outcome, decision.quality),
            values=_values(result),
            quality=decision.quality,
            identity_changed=changed,
            requalified=decision.requalified,
        )
        counts = (result.followers, result.following, result.posts)
        return record, PollResult(*key, outcome, *counts, None, elapsed)
    outcome, status = _failed(account, result)
    # A platform's words may quote the request, token included; a NUL or a lone surrogate in them
    # would make the row unstorable (redacted after, so their escapes cannot hide a secret).
    message = redactor(storable(result.message if isinstance(result, Missing) else str(result)))
    record = PollRecord(
        account_id=account_id,
        started_at=at,
        duration_ms=elapsed,
        outcome=outcome,
        status=status,
        next_poll_at=schedule(outcome, Quality.OK),
        http_status=None if isinstance(result, Missing) else result.http_status,
        message=message,
    )
    return record, PollResult(*key, outcome, None, None, None, message, elapsed)


def _failed(
    account: Pollable, result: Missing | PlatformError
) -> tuple[PollOutcome, AccountStatus]:
    """The outcome of a poll that read no counts, and the account's status after it."""
    if isinstance(result, Missing):
        return PollOutcome(result.status), AccountStatus(result.status)
    status = AccountStatus(account.status)
    if isinstance(result, AuthError):
        status = AccountStatus.AUTH_ERROR
    elif status == AccountStatus.AUTH_ERROR:
        status = AccountStatus.ACTIVE  # credentials work again, whatever failed this time
    return PollOutcome(result.outcome), status


def _values(observation: Observation) -> SnapshotValues:
    """What the store keeps of an observation."""
    return SnapshotValues(
        platform_id=observation.platform_id,
        followers=observation.followers,
        following=observation.following,
        posts=observation.posts,
        display_name=observation.display_name,
        extra=observation.extra,
        precision=observation.precision,
    )
