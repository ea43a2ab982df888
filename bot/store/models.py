"""The tables of DESIGN.md for the ORM and Alembic. Times are stored in UTC; counters are NULL
when not reported. bot/store/tables.py declares the same tables for the Core statements.

Vocabulary columns hold the values of the ``bot.kinds`` enums, stored as plain strings.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bot.kinds import AccountStatus, GateState, Quality, Source
from bot.store.instants import UTCDateTime
from bot.store.tables import BigId


class _Table(SQLModel):
    """A table model whose pydantic validators are built when first needed, not at import: every
    command imports the models and most never validate one (~10 ms of a command's start)."""

    model_config = SQLModel.model_config | {"defer_build": True}


class Account(_Table, table=True):
    """A watched account; identity is ``platform:handle``, history follows ``platform_id``."""

    __table_args__ = (
        UniqueConstraint("platform", "handle", name="uq_account_platform_handle"),
        Index("ix_account_platform_id", "platform", "platform_id"),
        Index("ix_account_next_poll_at", "next_poll_at"),
        Index("ix_account_platform_folded", "platform", text("lower(handle)")),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    handle: str = Field(max_length=255)
    platform_id: str | None = Field(default=None, max_length=255)
    display_name: str | None = Field(default=None, max_length=255)
    label: str | None = Field(default=None, max_length=255)
    groups: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=AccountStatus.ACTIVE, max_length=32)
    next_poll_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_polled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime)
    # Who declared it (an ``AccountOrigin``); NULL for an account only ever imported as history.
    origin: str | None = Field(default=None, max_length=16)
    # Its own poll interval; NULL: the settings' default (``bot.intervals.account_interval``).
    interval_seconds: int | None = None
    # Set while a worker polls the account; another worker may take it once the lease is over.
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StoreState(_Table, table=True):
    """A named value the store keeps about itself, e.g. the hash of the declared accounts."""

    __tablename__ = "store_state"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=255)


class Snapshot(_Table, table=True):
    """One observation of an account's counters at one instant."""

    __table_args__ = (
        UniqueConstraint("account_id", "captured_at", name="uq_snapshot_account_captured"),
    )

    id: int | None = Field(
        default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True)
    )
    account_id: int = Field(
        sa_column=Column(Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=False)
    )
    captured_at: datetime = Field(sa_type=UTCDateTime)
    followers: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    following: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    posts: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    extra: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    precision: int = Field(default=1)
    source: str = Field(default=Source.POLL, max_length=16)
    quality: str = Field(default=Quality.OK, max_length=16)


class PollAttempt(_Table, table=True):
    """Every poll attempt, successful or not; the message has secrets redacted."""

    __tablename__ = "poll_attempt"
    __table_args__ = (Index("ix_poll_attempt_account_started", "account_id", "started_at"),)

    id: int | None = Field(
        default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True)
    )
    account_id: int = Field(
        sa_column=Column(Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=False)
    )
    started_at: datetime = Field(sa_type=UTCDateTime)
    duration_ms: int
    outcome: str = Field(max_length=16)
    http_status: int | None = None
    message: str | None = Field(default=None, max_length=500)


class DigestRun(_Table, table=True):
    """One digest delivery per (date, channel), across restarts and workers."""

    __tablename__ = "digest_run"
    __table_args__ = (
        UniqueConstraint("digest_date", "channel", name="uq_digest_run_date_channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    digest_date: date
    channel: str = Field(max_length=255)
    status: str = Field(max_length=16)
    attempts: int = Field(default=0)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)


class PlatformState(_Table, table=True):
    """A platform's health as the daemon last saw it: read by ``bot status`` and other workers."""

    __tablename__ = "platform_state"

    platform: str = Field(primary_key=True, max_length=32)
    state: str = Field(default=GateState.OK, max_length=16)
    # Rate-limited or circuit open until this instant.
    until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    consecutive_failures: int = Field(default=0)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_failure_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    requests: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    rate_limited: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    updated_at: datetime = Field(sa_type=UTCDateTime)


class PublishedFigure(_Table, table=True):
    """A total the team published for a span of local days (``bot import --figures``)."""

    __tablename__ = "published_figure"
    __table_args__ = (
        UniqueConstraint(
            "account_id", "from_date", "to_date", "metric", name="uq_published_figure_span"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(
        sa_column=Column(Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=False)
    )
    # Local days in ``bot.timezone``, both included: the span the total covers.
    from_date: date
    to_date: date
    metric: str = Field(max_length=32)
    value: int = Field(sa_column=Column(BigInteger, nullable=False))
    source_file: str = Field(max_length=255)
    imported_at: datetime = Field(sa_type=UTCDateTime)


class Correction(_Table, table=True):
    """One change to the stored history, with the value it replaced: the audit trail."""

    __table_args__ = (Index("ix_correction_account_captured", "account_id", "captured_at"),)

    id: int | None = Field(
        default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True)
    )
    account_id: int = Field(
        sa_column=Column(Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=False)
    )
    # The snapshot's instant, or the published figure changed (one of the two is set).
    captured_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    figure_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("published_figure.id", ondelete="CASCADE"), nullable=True
        ),
    )
    action: str = Field(max_length=16)
    field: str = Field(max_length=32)
    old_value: Any = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    new_value: Any = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    origin: str = Field(max_length=255)  # the command that made it
    actor: str | None = Field(default=None, max_length=64)  # the user who ran it, when known
    at: datetime = Field(sa_type=UTCDateTime)
    undone_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PlatformEvent(_Table, table=True):
    """Many of one platform's accounts turned suspect in one poll cycle: a platform glitch.

    Recorded once when it starts; ``ended_at`` is set by the first cycle below the threshold.
    While it lasts, no drop on that platform is confirmed on its own.
    """

    __tablename__ = "platform_event"
    __table_args__ = (Index("ix_platform_event_platform_started", "platform", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    suspect: int  # accounts that turned suspect in the cycle that started it
    polled: int  # accounts of the platform polled in that cycle


class Alert(_Table, table=True):
    """One alert: opened when a rule starts to hold, resolved when it stops (bot/alerts/)."""

    __table_args__ = (Index("ix_alert_opened_at", "opened_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # an ``AlertKind`` value
    # What the alert is about: ``account:<id>`` or ``platform:<name>``.
    subject: str = Field(max_length=64)
    account_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=True),
    )
    platform: str | None = Field(default=None, max_length=32)
    opened_at: datetime = Field(sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # ``kind|subject`` while open (one open alert per rule and subject, across workers), NULL
    # once resolved; a milestone keeps ``milestone|subject|value`` so it is never raised twice.
    open_key: str | None = Field(default=None, max_length=255, unique=True)
    message: str = Field(max_length=500)
    resolve_message: str | None = Field(default=None, max_length=500)
    detail: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )


class AlertDelivery(_Table, table=True):
    """One alert notice (``open`` or ``resolve``) to one channel, claimed like a digest_run."""

    __tablename__ = "alert_delivery"
    __table_args__ = (
        UniqueConstraint("alert_id", "phase", "channel", name="uq_alert_delivery_phase_channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(
        sa_column=Column(Integer, ForeignKey("alert.id", ondelete="CASCADE"), nullable=False)
    )
    phase: str = Field(max_length=8)
    channel: str = Field(max_length=255)
    status: str = Field(max_length=16)  # a ``DeliveryStatus`` value
    attempts: int = Field(default=0)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)


class RateBudgetRow(_Table, table=True):
    """One request budget shared by every worker: a sliding window (bot/store/budgets.py).

    Times are seconds since the epoch read from the workers' injected clock, never the
    database's: ``log`` holds ``[instant, requests]`` pairs granted within the last window.
    """

    __tablename__ = "rate_budget"

    # ``platform|budget key|token fingerprint``: one row per budget a platform keeps.
    key: str = Field(primary_key=True, max_length=255)
    requests: int
    per_seconds: float
    log: list[list[float]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # What the platform's rate headers said: requests left until an instant.
    header_left: int | None = None
    header_reset: float | None = None
    updated_at: datetime = Field(sa_type=UTCDateTime)
