"""Words and numbers shared by the text, Markdown and HTML digests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.digest import periods
from bot.digest.model import (
    WINDOWS,
    AccountLine,
    Anomaly,
    Digest,
    Failure,
    GroupSummary,
    Milestone,
    Mover,
    Projection,
)
from bot.output.text import NULL, account_key, change, isolate, literal, number, who

SPARKS = "▁▂▃▄▅▆▇█"
ARROWS = {"up": "▲", "down": "▼"}
WINDOW_TITLES = {"1d": "1 day", "7d": "7 days", "30d": "30 days", "365d": "1 year"}
STATUS_WORDS = {
    "stale": "stale",
    "failing": "failing",
    "not_found": "not found",
    "suspended": "suspended",
    "auth_error": "token refused",
    "paused": "paused",
}


def sparkline(values: Sequence[int | None]) -> str:
    """Unicode bars scaled between the smallest and largest value; a space for a missing day."""
    known = [v for v in values if v is not None]
    if not known:
        return " " * len(values)
    low, high = min(known), max(known)
    top = len(SPARKS) - 1
    chars = []
    for value in values:
        if value is None:
            chars.append(" ")
        elif high == low:
            chars.append(SPARKS[top // 2])
        else:
            chars.append(SPARKS[round((value - low) / (high - low) * top)])
    return "".join(chars)


def local(moment: datetime | None, tz: ZoneInfo, *, with_date: bool = True) -> str:
    """A UTC instant as local ``2024-03-31 14:05`` (or ``14:05``)."""
    if moment is None:
        return NULL
    shown = moment.astimezone(tz)
    return shown.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


def account_name(line: AccountLine) -> str:
    """The label between direction isolates, else ``platform:handle``; shown literally."""
    return isolate(line.label) if line.label else literal(line.key)


def group_title(group: GroupSummary) -> str:
    """A group's heading, shown literally."""
    return literal(group.title)


def long_date(day: date) -> str:
    """``Sunday 31 March 2024``."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def title(digest: Digest) -> str:
    """The digest's one-line title."""
    if digest.period != "day":
        return periods.title(digest.period, digest.first_day, digest.day)
    return f"Growth digest for {long_date(digest.day)}"


def subtitle(digest: Digest) -> str:
    """What instant the figures describe, in which zone (and, for a period, what comes first)."""
    zone = digest.timezone.key
    at = local(digest.at, digest.timezone, with_date=False)
    if digest.period == "day":
        if digest.complete:
            return f"Figures at the end of the day ({zone})."
        return f"Figures so far, at {at} ({zone})."
    when = f"the end of {long_date(digest.day)}" if digest.complete else f"{at} so far"
    lead = "over the week (7 days)" if digest.period == "week" else "over the last 30 days"
    return f"Figures at {when} ({zone}), the change {lead} first."


def windows(digest: Digest) -> tuple[str, ...]:
    """The windows in the order shown: the digest's headline window first, then the others."""
    return (digest.headline, *(p for p in WINDOWS if p != digest.headline))


def during(digest: Digest) -> str:
    """What a section's events span: ``""`` for a day, ``" this week"``, ``" this month"``."""
    return "" if digest.period == "day" else f" this {digest.period}"


def milestone_text(m: Milestone, tz: ZoneInfo) -> str:
    """``Acme (x:acme) passed 100,000 followers at 2024-03-31 00:30``."""
    when = local(m.crossed_at, tz)
    return f"{who(m.platform, m.handle, m.label)} passed {number(m.milestone)} followers at {when}"


def projection_text(p: Projection) -> str:
    """``Acme (x:acme): 250,000 around 2024-06-02 (between … and …), at +312.5 a day``."""
    latest = p.latest.isoformat() if p.latest else "later"
    return (
        f"{who(p.platform, p.handle, p.label)}: {number(p.milestone)} around "
        f"{p.expected.isoformat()} (between {p.earliest.isoformat()} and {latest}),"
        f" at {p.pace_per_day:+,.1f} a day"
    )


def mover_text(m: Mover) -> str:
    """``Acme (x:acme) +1,234 (+5.10%)``."""
    return f"{who(m.platform, m.handle, m.label)} {change(m.change, m.growth_pct)}"


def anomaly_text(a: Anomaly, tz: ZoneInfo) -> str:
    """One sentence per anomaly."""
    if a.kind == "platform_event":
        names = ", ".join(literal(handle) for handle in a.handles)
        # Dated in a weekly or monthly digest (a daily one's is the digest's day).
        day = f" on {a.at.astimezone(tz).date().isoformat()}" if a.at else ""
        return f"Platform event on {a.platform}{day}: {len(a.handles)} accounts dropped ({names})"
    if a.kind == "platform_glitch":
        return (
            f"Platform event on {a.platform} from {local(a.at, tz)}: {number(a.followers)} of"
            f" {number(a.previous)} accounts turned suspect in one poll; no drop there is"
            " confirmed while it lasts"
        )
    what = "Suspect count (left out of growth)" if a.kind == "suspect" else "Confirmed drop"
    key = literal(account_key(a.platform, a.handle or ""))
    return f"{what}: {key} at {local(a.at, tz)}, {number(a.followers)} after {number(a.previous)}"


def failure_text(f: Failure, tz: ZoneInfo) -> str:
    """``x:acme failing since …: timeout (no data since 2024-03-25 12:00)``."""
    since = f"no data since {local(f.last_data_at, tz)}" if f.last_data_at else "no data yet"
    state = STATUS_WORDS.get(f.status, f.status)
    message = f": {literal(f.message)}" if f.message else ""
    return f"{who(f.platform, f.handle, f.label)} {state}{message} ({since})"


def movers_by_period(digest: Digest) -> list[tuple[str, list[Mover], list[Mover]]]:
    """Movers grouped as (period, gains, losses), periods that have any; the headline first."""
    found = []
    order = ("30d", "7d") if digest.headline == "30d" else ("7d", "30d")
    for period in order:
        ups = [m for m in digest.movers if m.period == period and m.direction == "up"]
        downs = [m for m in digest.movers if m.period == period and m.direction == "down"]
        if ups or downs:
            found.append((period, ups, downs))
    return found


def listed_sections(digest: Digest) -> list[tuple[str, list[str]]]:
    """The digest's lists after the tables: milestones, projections, anomalies, failures."""
    tz = digest.timezone
    return [
        (
            f"Milestones reached{during(digest)}",
            [milestone_text(m, tz) for m in digest.milestones],
        ),
        ("Next milestones (at the 30-day pace)", [projection_text(p) for p in digest.projections]),
        (f"Anomalies{during(digest)}", [anomaly_text(a, tz) for a in digest.anomalies]),
        ("Failing or stale accounts", [failure_text(f, tz) for f in digest.failures]),
    ]
