"""Reading the platforms' rate-limit headers into a wait in seconds."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from bot.clock import system_clock

# Values above this are epoch seconds (x-rate-limit-reset); below, a delay in seconds.
_EPOCH_THRESHOLD = 1_000_000_000
# No platform resets later than a day ahead (YouTube's quota, the longest, resets daily); a
# larger value is a broken or hostile header and must not park an account for years.
MAX_WAIT_SECONDS = 24 * 3600.0


def retry_after_seconds(
    headers: Mapping[str, str], now: Callable[[], datetime] = system_clock
) -> float | None:
    """Seconds to wait according to Retry-After or a reset header; ``None`` if none is usable."""
    lowered = {k.lower(): v for k, v in headers.items()}
    current = now()
    retry_after = lowered.get("retry-after")
    if retry_after:
        value = _seconds_from(retry_after.strip(), current)
        if value is not None:
            return value
    for name in ("x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset"):
        raw = lowered.get(name)
        if raw:
            value = _seconds_from(raw.strip(), current)
            if value is not None:
                return value
    return None


def _seconds_from(raw: str, now: datetime) -> float | None:
    """A header value as a delay, an epoch, an ISO time or an HTTP-date, at most a day."""
    seconds = _raw_seconds(raw[:64], now)
    if seconds is None or not math.isfinite(seconds):
        return None
    return min(seconds, MAX_WAIT_SECONDS)


def _raw_seconds(raw: str, now: datetime) -> float | None:
    """Interpret a header value as a delay, an epoch, an ISO time or an HTTP-date."""
    try:
        number = float(raw)
    except ValueError:
        number = None
    if number is not None and not math.isfinite(number):
        return None
    if number is not None:
        if number >= _EPOCH_THRESHOLD:
            return max(0.0, number - now.timestamp())
        return max(0.0, number)
    when: datetime | None
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return max(0.0, (when - now).total_seconds())
    except OverflowError:
        return None


def remaining_in_window(headers: Mapping[str, str]) -> int | None:
    """Requests left in the current window per the platform's headers; ``None`` if not said."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in ("x-rate-limit-remaining", "x-ratelimit-remaining", "ratelimit-remaining"):
        raw = lowered.get(name)
        if raw is None:
            continue
        try:
            # Reddit sends a float ("587.0"); a negative or junk value is not information.
            value = float(raw.strip())
        except ValueError:
            continue
        if value >= 0 and value != float("inf"):
            return int(value)
    return None
