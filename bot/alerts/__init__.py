"""Immediate alerts: rules over the store, evaluated after each poll cycle, sent through Apprise."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.alerts.deliver import deliver_pending
from bot.alerts.evaluate import Change, evaluate
from bot.clock import Clock
from bot.config import Settings

__all__ = ["Change", "deliver_pending", "evaluate", "run_alerts"]


def run_alerts(engine: Engine, settings: Settings, clock: Clock) -> list[Change]:
    """Evaluate the rules now, then send the notices still pending (blocking: Apprise)."""
    if not settings.alerts.enabled:
        return []
    changes = evaluate(engine, settings, clock())
    deliver_pending(engine, settings, clock)
    return changes
