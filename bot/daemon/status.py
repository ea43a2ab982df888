"""What ``bot status`` shows: each platform's state, then the failing and stale accounts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.intervals import account_interval
from bot.kinds import AccountStatus, GateState
from bot.output.tables import Column
from bot.staleness import STALE_INTERVALS, interval_of, is_stale
from bot.store import history
from bot.store.accounts import all_accounts
from bot.store.health import platform_states
from bot.store.judging import Event, open_events

PLATFORM_COLUMNS = (
    Column("platform", "Platform"),
    Column("state", "State"),
    Column("until", "Until (UTC)"),
    Column("accounts", "Accounts", numeric=True),
    Column("failing", "Failing", numeric=True),
    Column("stale", "Stale", numeric=True),
    Column("last_success_at", "Last success (UTC)"),
    Column("requests", "Requests", numeric=True),
    Column("rate_limited", "429s", numeric=True),
    Column("last_error", "Last error", from_platform=True),
    Column("event", "Platform event"),
    Column("event_since", "Event since (UTC)"),
)
PROBLEM_COLUMNS = (
    Column("platform", "Platform"),
    Column("handle", "Handle"),
    Column("problem", "Problem"),
    Column("status", "Status"),
    Column("last_data_at", "Last data (UTC)"),
    Column("last_polled_at", "Last poll (UTC)"),
    Column("last_error", "Last error", from_platform=True),
)
_FAILING_STATUSES = (AccountStatus.NOT_FOUND, AccountStatus.SUSPENDED, AccountStatus.AUTH_ERROR)


def status(engine: Engine, settings: Settings, now: datetime) -> dict[str, Any]:
    """``{"platforms": [...], "accounts": [...]}``: the health report, problems only."""
    with Session(engine) as session:
        # The scheduled ones (config, added, imported): a removed or history-only one is no news.
        accounts = [a for a in all_accounts(session, None) if account_interval(settings, a)]
        latest = history.latest(session.connection(), [a.id for a in accounts if a.id])
        states = {s.platform: s for s in platform_states(session.connection())}
        events = open_events(session.connection())
    problems: list[dict[str, Any]] = []
    for account in accounts:
        row = latest.get(account.id or 0)
        last_data = row.captured_at if row else None
        interval = interval_of(settings, account)
        problem = _problem(account.status, account.last_error)
        if problem is None and is_stale(last_data, account.created_at, interval, now):
            problem = "stale"
        if problem is not None:
            problems.append(
                {
                    "platform": account.platform,
                    "handle": account.handle,
                    "problem": problem,
                    "status": account.status,
                    "last_data_at": last_data,
                    "last_polled_at": account.last_polled_at,
                    "last_error": account.last_error,
                }
            )
    platforms = []
    for name in sorted({a.platform for a in accounts} | set(states) | set(events)):
        state = states.get(name)
        event = events.get(name)
        mine = [p for p in problems if p["platform"] == name]
        # A pause or an open circuit is over once its instant has passed.
        current = (
            state.state if state and (state.until is None or state.until > now) else GateState.OK
        )
        platforms.append(
            {
                "platform": name,
                "state": current if state else "unknown",
                "until": state.until if state and current != GateState.OK else None,
                "accounts": sum(1 for a in accounts if a.platform == name),
                "failing": sum(1 for p in mine if p["problem"] != "stale"),
                "stale": sum(1 for p in mine if p["problem"] == "stale"),
                "last_success_at": state.last_success_at if state else None,
                "requests": state.requests if state else 0,
                "rate_limited": state.rate_limited if state else 0,
                "last_error": state.last_error if state else None,
                "event": _event_text(event) if event else None,
                "event_since": event.started_at if event else None,
            }
        )
    return {"platforms": platforms, "accounts": problems}


def _event_text(event: Event) -> str:
    """A lasting platform event in a few words: drops there wait for it to end."""
    return f"{event.suspect} of {event.polled} accounts suspect at once"


def daemon_check(engine: Engine, settings: Settings, now: datetime) -> tuple[bool, str]:
    """``bot status --check``: whether the daemon polled within two of the shortest intervals.

    The newest poll of any configured account (or, none yet, the oldest account's creation)
    stands for the daemon's last completed cycle: every cycle polls what is due, and within an
    interval something is.
    """
    with Session(engine) as session:
        scheduled = [
            (a, interval)
            for a in all_accounts(session, None)
            if (interval := account_interval(settings, a)) is not None
        ]
    if not scheduled:
        return False, "no accounts configured: the daemon has nothing to poll"
    window = min(interval for _, interval in scheduled) * STALE_INTERVALS
    accounts = [a for a, _ in scheduled]
    polled = [a.last_polled_at for a in accounts if a.last_polled_at is not None]
    last = max(polled, default=None)
    since = last or min((a.created_at for a in accounts), default=now)
    what = f"last poll {last:%Y-%m-%d %H:%M} UTC" if last else "no poll yet"
    if now - since > window:
        return False, f"{what}: no cycle completed within {_span(window)}"
    return True, f"{what}, within {_span(window)}"


def _span(delta: timedelta) -> str:
    """``12h``, ``90m``, ``2d``: a window as the config spells durations."""
    seconds = int(delta.total_seconds())
    for size, unit in ((86_400, "d"), (3600, "h"), (60, "m")):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _problem(status: str, last_error: str | None) -> str | None:
    """``failing`` when the account is gone or refused, or its last poll failed."""
    if status in _FAILING_STATUSES or last_error is not None:
        return "failing"
    return None
