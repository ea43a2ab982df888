"""Evaluating the alert rules over the store: open new alerts, resolve those that stopped holding.

Evaluation reads only the store and the injected clock, so any worker may run it at any time:
opening is an insert on the unique ``open_key`` and resolving a conditional update, so each
change happens, and is logged (at WARNING, with the account's label), by exactly one worker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine
from sqlmodel import Session, col, select

from bot.alerts import rules
from bot.alerts.rules import AccountFacts, Finding, PlatformFacts
from bot.config import AlertRules, Settings
from bot.digest.events import DEFAULT_MILESTONES
from bot.intervals import account_interval
from bot.kinds import AlertKind
from bot.store import alerts as store
from bot.store.health import platform_states
from bot.store.models import Account, Alert

log = logging.getLogger(__name__)
# Late polls (a busy budget, a restart): read this much more history than the rules need.
_HISTORY_MARGIN = timedelta(hours=6)


@dataclass(frozen=True)
class Change:
    """An alert this evaluation opened or resolved."""

    alert_id: int
    kind: str
    opened: bool
    message: str | None


def evaluate(engine: Engine, settings: Settings, now: datetime) -> list[Change]:
    """Open and resolve alerts for the configured accounts as of ``now``."""
    if not settings.alerts.enabled:
        return []
    with engine.connect() as connection:
        accounts = account_facts(connection, settings, now)
        states = [
            PlatformFacts(s.platform, s.state, s.until, s.last_success_at, s.updated_at)
            for s in platform_states(connection)
        ]
        opened = {a.open_key: a for a in store.open_alerts(connection) if a.open_key}
    findings = _findings(settings, accounts, states, opened, now)
    changes = [c for f in findings if f.key not in opened for c in _open(engine, f, now)]
    by_id = {a.id: a for a in accounts}
    current = {f.key for f in findings}
    for key, alert in opened.items():
        if key in current or alert.kind == AlertKind.MILESTONE or alert.id is None:
            continue
        message = _resolution(alert, by_id.get(alert.account_id or -1))
        if store.resolve_alert(engine, alert.id, now=now, message=message):
            log.warning("alert resolved: %s", message or f"{alert.message} (settled)")
            changes.append(Change(alert.id, alert.kind, opened=False, message=message))
    return changes


def account_facts(connection: Connection, settings: Settings, now: datetime) -> list[AccountFacts]:
    """The scheduled accounts (declared, added, imported) as stored, with the rules of each."""
    with Session(connection) as session:
        stored = session.exec(select(Account).order_by(col(Account.id))).all()
    pairs = [
        (row, interval, row.id)
        for row in stored
        if (interval := account_interval(settings, row)) is not None and row.id is not None
    ]
    rules_of = {
        i: settings.alerts.rules_for(row.platform, row.handle, tuple(row.groups or ()))
        for row, _, i in pairs
    }
    ids = list(rules_of)
    longest = max((r.drop_window for r in rules_of.values()), default=timedelta(days=1))
    slowest = max((interval for _, interval, _ in pairs), default=timedelta(0))
    # The drop window before the newest count, and the two polls that found it and the one before.
    points = store.good_followers_since(
        connection, ids, now - longest - 2 * slowest - _HISTORY_MARGIN
    )
    # Only the silent rule needs the last success: no lookup when no account uses it.
    silent = [i for i in ids if rules_of[i].missed_polls is not None]
    successes = store.last_successes(connection, silent) if silent else {}
    milestones = settings.milestones or DEFAULT_MILESTONES
    facts = []
    for row, interval, account_id in pairs:
        mine = points.get(account_id, [])
        high = None
        if rules.passes_milestone(mine, milestones):
            high = store.highest_before(connection, account_id, mine[-1][0])
        facts.append(
            AccountFacts(
                id=account_id,
                platform=row.platform,
                handle=row.handle,
                label=row.label,
                status=row.status,
                rules=rules_of[account_id],
                interval=interval,
                created_at=row.created_at,
                last_success=successes.get(account_id),
                points=mine,
                previous_high=high,
            )
        )
    return facts


def _findings(
    settings: Settings,
    accounts: list[AccountFacts],
    states: list[PlatformFacts],
    opened: dict[str, Alert],
    now: datetime,
) -> list[Finding]:
    """Every rule that holds now."""
    milestones = settings.milestones or DEFAULT_MILESTONES
    found: list[Finding] = []
    for account in accounts:
        drop = opened.get(f"{AlertKind.DROP}|{account.subject}")
        found += rules.account_findings(
            account,
            now=now,
            milestones=milestones,
            open_drop=drop.detail if drop is not None else None,
            tz=settings.timezone,
        )
    found += rules.platform_findings(
        states,
        accounts,
        now=now,
        blocked_for=settings.alerts.platform_blocked,
        open_blocked={k for k in opened if k.startswith(f"{AlertKind.BLOCKED}|")},
        tz=settings.timezone,
    )
    return found


def _open(engine: Engine, finding: Finding, now: datetime) -> list[Change]:
    """Insert the finding's alert; a change only when this call inserted it."""
    event = finding.kind == AlertKind.MILESTONE
    new = store.NewAlert(
        kind=finding.kind,
        subject=finding.subject,
        open_key=finding.key,
        message=finding.message,
        opened_at=now,
        account_id=finding.account_id,
        platform=finding.platform,
        detail=finding.detail,
        # A milestone is an event: resolved as it opens, its key kept so it is never repeated.
        resolved_at=now if event else None,
    )
    alert_id = store.open_alert(engine, new)
    if alert_id is None:
        return []
    log.warning("alert: %s", finding.message)
    return [Change(alert_id, finding.kind, opened=True, message=finding.message)]


def _resolution(alert: Alert, account: AccountFacts | None) -> str | None:
    """What resolving ``alert`` says; None when there is nothing to announce (sent to no one):
    a drop still down a window after its high, an account that left the config, a rule turned off.
    """
    if alert.kind == AlertKind.CREDENTIALS:
        return f"{alert.platform}: credentials accepted again"
    if alert.kind == AlertKind.BLOCKED:
        return f"{alert.platform}: answering again"
    if account is None or not _rule_on(alert.kind, account.rules):
        return None
    if alert.kind == AlertKind.STATUS:
        return f"{account.name}: account found again"
    if alert.kind == AlertKind.SILENT:
        return f"{account.name}: polled successfully again"
    if alert.kind == AlertKind.DROP and account.points:
        latest = account.points[-1][1]
        if not rules.is_drop(int((alert.detail or {}).get("peak", 0)), latest, account.rules):
            return rules.recovered_message(account.name, alert.detail or {}, latest)
    return None


def _rule_on(kind: str, rules_now: AlertRules) -> bool:
    """Whether the rule that raised an alert of ``kind`` still applies to the account."""
    if not rules_now.enabled:
        return False
    return {
        AlertKind.STATUS: rules_now.status,
        AlertKind.SILENT: rules_now.missed_polls is not None,
        AlertKind.DROP: rules_now.drop_percent is not None or rules_now.drop_followers is not None,
    }.get(AlertKind(kind), True)
