"""The vocabularies the bot stores and shows, one ``StrEnum`` each.

A member is a ``str`` equal to its value (``AccountStatus.ACTIVE == "active"``), so stored rows,
JSON and CSV output read exactly as plain strings; the enum only lets mypy and the reader see which
words a field may hold.
"""

from __future__ import annotations

from enum import StrEnum


class AccountStatus(StrEnum):
    """``account.status``: whether the account is polled and how its last answer went."""

    ACTIVE = "active"
    NOT_FOUND = "not_found"
    SUSPENDED = "suspended"
    AUTH_ERROR = "auth_error"
    PAUSED = "paused"
    # Taken out of the config: history kept, never polled, left out of listings unless --all.
    REMOVED = "removed"


class AccountOrigin(StrEnum):
    """``account.origin``: who declared the account (NULL: only imported history, never polled)."""

    # ``[[accounts]]`` in the config file: the file is authoritative for these.
    CONFIG = "config"
    # ``bot accounts add``.
    CLI = "cli"
    # ``bot accounts import FILE``.
    IMPORT = "import"


class PollOutcome(StrEnum):
    """``poll_attempt.outcome``: what one poll of one account produced."""

    OK = "ok"
    RATE_LIMITED = "rate_limited"
    HTTP_ERROR = "http_error"
    TIMEOUT = "timeout"
    NOT_FOUND = "not_found"
    SUSPENDED = "suspended"
    AUTH_ERROR = "auth_error"
    PARSE_ERROR = "parse_error"
    SUSPECT = "suspect"


class Quality(StrEnum):
    """``snapshot.quality``: suspect points are stored but kept out of growth."""

    OK = "ok"
    SUSPECT = "suspect"
    CONFIRMED_DROP = "confirmed_drop"


class Source(StrEnum):
    """``snapshot.source``: how a snapshot reached the database."""

    POLL = "poll"
    IMPORT = "import"
    DEMO = "demo"


class CorrectionAction(StrEnum):
    """``correction.action``: what a correction of the stored history did."""

    MARK_SUSPECT = "mark_suspect"
    MARK_OK = "mark_ok"
    DELETE = "delete"
    SET = "set"
    REPLACE = "replace"


class GateState(StrEnum):
    """``platform_state.state``: a platform's health as the daemon's gate sees it."""

    OK = "ok"
    RATE_LIMITED = "rate_limited"
    CIRCUIT_OPEN = "circuit_open"
    FAILING = "failing"


class DeliveryStatus(StrEnum):
    """``digest_run.status``: a claimed (``sending``) or finished digest delivery."""

    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DISABLED = "disabled"
    # The request went out but no answer came in time: the receiver may have it.
    UNKNOWN = "unknown"


class AlertKind(StrEnum):
    """``alert.kind``: which rule raised an alert (bot/alerts/rules.py)."""

    STATUS = "status"
    CREDENTIALS = "credentials"
    DROP = "drop"
    BLOCKED = "blocked"
    SILENT = "silent"
    MILESTONE = "milestone"


class AlertPhase(StrEnum):
    """``alert_delivery.phase``: the notice sent when an alert opens, or when it resolves."""

    OPEN = "open"
    RESOLVE = "resolve"
