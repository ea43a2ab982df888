"""Digest periods: a day, a week (Monday to Sunday) or a calendar month, all in local days.

A digest of any period describes the state at the end of its last day; a weekly digest leads
with the 7-day window and a monthly one with the 30-day window. A weekly or monthly delivery is
recorded in ``digest_run`` under the period's last day and the channel ``weekly:<name>`` or
``monthly:<name>`` (a daily one under the plain name), so each is sent once per channel.
"""

from __future__ import annotations

import calendar
import hashlib
from datetime import date, timedelta
from zoneinfo import ZoneInfo

PERIODS: tuple[str, ...] = ("day", "week", "month")
# ``[bot] digests`` words and the period each names.
CONFIG_WORDS: dict[str, str] = {"daily": "day", "weekly": "week", "monthly": "month"}
ADJECTIVES: dict[str, str] = {word: name for name, word in CONFIG_WORDS.items()}
# The window a digest of each period leads with.
HEADLINE: dict[str, str] = {"day": "1d", "week": "7d", "month": "30d"}
_EN_DASH = "\u2013"
# digest_run.channel's length.
MAX_CHANNEL = 255


def span(period: str, day: date) -> tuple[date, date]:
    """The first and last local day of the ``period`` that contains ``day``."""
    if period == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    if period == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    return day, day


def last_complete(period: str, today: date) -> date:
    """The last day of the latest ``period`` that ended before ``today``."""
    first, _ = span(period, today)
    return first - timedelta(days=1)


def due(period: str, today: date) -> date | None:
    """The last day of the period whose digest is due ``today`` (after ``digest_at``), if any.

    Daily: yesterday, every day. Weekly: last week, on Mondays. Monthly: last month, on the 1st.
    """
    first, _ = span(period, today)
    return today - timedelta(days=1) if first == today else None


def run_channel(period: str, name: str) -> str:
    """The ``digest_run.channel`` of a delivery: the plain name for a daily digest."""
    if period == "day":
        return name
    key = f"{ADJECTIVES[period]}:{name}"
    if len(key) <= MAX_CHANNEL:
        return key
    # The column holds 255 characters: a long name keeps a hash of its tail, so two stay apart.
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{key[: MAX_CHANNEL - 9]}#{digest}"


def file_stem(period: str, day: date) -> str:
    """``2025-03-30`` for a daily digest, ``2025-03-30-weekly``, ``2025-03-31-monthly``."""
    return day.isoformat() if period == "day" else f"{day.isoformat()}-{ADJECTIVES[period]}"


def title(period: str, first: date, last: date) -> str:
    """``Weekly digest, 24\u201330 March 2025`` or ``Monthly digest, March 2025``; not for days."""
    if period == "month":
        return f"Monthly digest, {last:%B %Y}"
    if first.year != last.year:
        start = f"{first.day} {first:%B %Y}"
    elif first.month != last.month:
        start = f"{first.day} {first:%B}"
    else:
        start = str(first.day)
    dash = _EN_DASH if first.month == last.month else f" {_EN_DASH} "
    return f"Weekly digest, {start}{dash}{last.day} {last:%B %Y}"


def not_started(day: date, tz: ZoneInfo) -> str:
    """Why there is no digest of a day yet: ``2999-01-01 has not started yet in Europe/Paris``."""
    return f"{day.isoformat()} has not started yet in {tz.key}"

