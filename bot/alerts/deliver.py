"""Sending alert notices through the BOT_NOTIFY channels, once per (alert, phase, channel).

The digest's bookkeeping (bot/digest/deliver.py), per notice: a channel is sent only by the
worker that claims its ``alert_delivery`` row; a failure (5xx, timeout, refused connection) is
stored and retried by the next call; a permanent one (HTTP 401, 403, 404, 410, or a URL Apprise
cannot use) disables that notice for that channel. Notices older than ``RETRY_FOR`` are left:
an alert from last week is news no longer. URLs never reach a row or a log line.
"""

from __future__ import annotations

import html
import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot.clock import Clock
from bot.config import Settings
from bot.digest import channels as apprise_channels
from bot.digest.channels import Body, Channel, Outcome
from bot.digest.deliver import LEASE, DeliveryResult
from bot.http.redact import Redactor
from bot.kinds import AlertPhase, DeliveryStatus
from bot.store import alerts as store
from bot.store.models import Alert

log = logging.getLogger(__name__)
RETRY_FOR = timedelta(days=1)
_DONE = (DeliveryStatus.SENT, DeliveryStatus.DISABLED)


def deliver_pending(engine: Engine, settings: Settings, clock: Clock) -> list[DeliveryResult]:
    """Send every notice some channel still needs; one result per attempt."""
    channels = apprise_channels.parse_channels(settings.notify)
    if not channels:
        return []
    now = clock()
    with engine.connect() as connection:
        recent = store.recent_alerts(connection, now - RETRY_FOR)
        done = store.delivery_statuses(connection, [a.id for a in recent if a.id is not None])
    redact = Redactor(settings.secret_values())
    results = []
    for alert, phase, when in _notices(recent):
        if when < now - RETRY_FOR or alert.id is None:
            continue
        for channel in channels:
            if done.get((alert.id, phase, channel.name)) in _DONE:
                continue
            result = _deliver(engine, alert, phase, channel, clock=clock, redact=redact)
            if result is not None:
                results.append(result)
    return results


def _notices(alerts: list[Alert]) -> list[tuple[Alert, AlertPhase, datetime]]:
    """Each alert's notices: its opening, and its resolution when that has words to send."""
    notices = []
    for alert in alerts:
        notices.append((alert, AlertPhase.OPEN, alert.opened_at))
        if alert.resolved_at is not None and alert.resolve_message:
            notices.append((alert, AlertPhase.RESOLVE, alert.resolved_at))
    return notices


def _deliver(
    engine: Engine,
    alert: Alert,
    phase: AlertPhase,
    channel: Channel,
    *,
    clock: Clock,
    redact: Redactor,
) -> DeliveryResult | None:
    """Claim, send and record one notice to one channel; None when it was not ours to send."""
    assert alert.id is not None
    held = store.claim_delivery(
        engine, alert_id=alert.id, phase=phase, channel=channel.name, now=clock(), lease=LEASE
    )
    if held is None:
        return None
    outcome = _send(alert, phase, channel)
    error = redact(outcome.error) if outcome.error else None
    status = (
        DeliveryStatus.SENT
        if outcome.ok
        else DeliveryStatus.DISABLED
        if outcome.permanent
        else DeliveryStatus.FAILED
    )
    store.finish_delivery(engine, held, status=status, now=clock(), error=error)
    if status != DeliveryStatus.SENT:
        log.warning(
            "alert %d (%s) to %s %s (attempt %d): %s",
            alert.id,
            phase,
            channel.name,
            "failed, retried on the next cycle" if status == DeliveryStatus.FAILED else "disabled",
            held.attempts,
            error,
        )
    return DeliveryResult(f"alert {alert.id} {phase} {channel.name}", status, held.attempts, error)


def _send(alert: Alert, phase: AlertPhase, channel: Channel) -> Outcome:
    """One try at one channel; never raises for the channel's own failure."""
    if channel.problem is not None or channel.url is None:
        return Outcome(ok=False, permanent=True, error=channel.problem)
    text = alert.message if phase == AlertPhase.OPEN else (alert.resolve_message or "")
    title = ("Alert: " if phase == AlertPhase.OPEN else "Resolved: ") + text.split(": ", 1)[0]
    body = Body(
        title=title,
        text=text,
        markdown=text,
        html=f"<p>{html.escape(text)}</p>",
        images={},
    )
    return apprise_channels.send(channel.url.reveal(), body)
