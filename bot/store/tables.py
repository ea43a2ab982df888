"""The tables as SQLAlchemy Core declares them, and the helpers every bulk statement shares.

The store writes and reads in bulk through SQLAlchemy Core (DESIGN.md, performance notes): the
tables below give those statements typed columns, ``chunks`` keeps IN lists and batches under
SQLite's cap on bound parameters, and ``insert_new`` is the one dialect-aware
``INSERT … ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ColumnElement,
    Date,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    any_,
    bindparam,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.dml import Insert

from bot.kinds import AccountStatus, GateState, Quality, Source
from bot.store.instants import UTCDateTime

T = TypeVar("T")
# SQLite caps bound parameters per statement (999 before 3.32): IN lists go in pieces this big.
CHUNK = 500


# The schema of the Core statements, declared here rather than taken from the SQLModel models
# (bot/store/models.py) so that `bot poll`, `growth`, `report` and `accounts` never import the
# ORM, SQLModel or the models (~0.1 s of a 0.6 s `bot poll`). The models declare the same tables
# for the ORM and Alembic: tests/store/test_tables.py holds the two equal column by column, and
# tests/store/test_store.py holds each to the migrations.
METADATA = MetaData()
# BIGINT ids on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is an auto-incrementing rowid.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def _id() -> Column[Any]:
    return Column("id", Integer, primary_key=True)


def _big_id() -> Column[Any]:
    return Column("id", BigId, primary_key=True, autoincrement=True)


def _text(name: str, length: int, *, null: bool = False, **kw: Any) -> Column[Any]:
    return Column(name, String(length), nullable=null, **kw)


def _at(name: str, *, null: bool = False) -> Column[Any]:
    return Column(name, UTCDateTime(), nullable=null)


def _owner(name: str, target: str, *, null: bool = False) -> Column[Any]:
    fk = ForeignKey(target, ondelete="CASCADE")
    return Column(name, Integer, fk, nullable=null)


def _int(name: str, *, null: bool = False, **kw: Any) -> Column[Any]:
    return Column(name, Integer, nullable=null, **kw)


def _json(name: str, *, null: bool = True) -> Column[Any]:
    return Column(name, JSON(none_as_null=True) if null else JSON, nullable=null)


ACCOUNT = Table(
    "account",
    METADATA,
    _id(),
    _text("platform", 32),
    _text("handle", 255),
    _text("platform_id", 255, null=True),
    _text("display_name", 255, null=True),
    _text("label", 255, null=True),
    _json("groups", null=False),
    _text("status", 32, default=AccountStatus.ACTIVE),
    _at("next_poll_at", null=True),
    _at("last_polled_at", null=True),
    _text("last_error", 500, null=True),
    _at("created_at"),
    _text("origin", 16, null=True),
    _int("interval_seconds", null=True),
    _text("lease_owner", 64, null=True),
    _at("lease_until", null=True),
    UniqueConstraint("platform", "handle", name="uq_account_platform_handle"),
    Index("ix_account_platform_id", "platform", "platform_id"),
    Index("ix_account_next_poll_at", "next_poll_at"),
    # A handle in any case (a platform that folds it): a seek, not a pass over the platform's
    # accounts (``bot import`` asks once a batch; 76 ms at 100,000 accounts without it).
    Index("ix_account_platform_folded", "platform", text("lower(handle)")),
)
STORE_STATE = Table(
    "store_state",
    METADATA,
    _text("key", 64, primary_key=True),
    _text("value", 255),
)
SNAPSHOT = Table(
    "snapshot",
    METADATA,
    _big_id(),
    _owner("account_id", "account.id"),
    _at("captured_at"),
    Column("followers", BigInteger, nullable=True),
    Column("following", BigInteger, nullable=True),
    Column("posts", BigInteger, nullable=True),
    _json("extra"),
    _int("precision", default=1),
    _text("source", 16, default=Source.POLL),
    _text("quality", 16, default=Quality.OK),
    UniqueConstraint("account_id", "captured_at", name="uq_snapshot_account_captured"),
)
POLL_ATTEMPT = Table(
    "poll_attempt",
    METADATA,
    _big_id(),
    _owner("account_id", "account.id"),
    _at("started_at"),
    _int("duration_ms"),
    _text("outcome", 16),
    _int("http_status", null=True),
    _text("message", 500, null=True),
    Index("ix_poll_attempt_account_started", "account_id", "started_at"),
)
DIGEST_RUN = Table(
    "digest_run",
    METADATA,
    _id(),
    Column("digest_date", Date, nullable=False),
    _text("channel", 255),
    _text("status", 16),
    _int("attempts", default=0),
    _at("sent_at", null=True),
    _text("last_error", 500, null=True),
    UniqueConstraint("digest_date", "channel", name="uq_digest_run_date_channel"),
)
PLATFORM_STATE = Table(
    "platform_state",
    METADATA,
    _text("platform", 32, primary_key=True),
    _text("state", 16, default=GateState.OK),
    _at("until", null=True),
    _int("consecutive_failures", default=0),
    _at("last_success_at", null=True),
    _at("last_failure_at", null=True),
    _text("last_error", 500, null=True),
    Column("requests", BigInteger, nullable=False, default=0),
    Column("rate_limited", BigInteger, nullable=False, default=0),
    _at("updated_at"),
)
PUBLISHED_FIGURE = Table(
    "published_figure",
    METADATA,
    _id(),
    _owner("account_id", "account.id"),
    Column("from_date", Date, nullable=False),
    Column("to_date", Date, nullable=False),
    _text("metric", 32),
    Column("value", BigInteger, nullable=False),
    _text("source_file", 255),
    _at("imported_at"),
    UniqueConstraint(
        "account_id", "from_date", "to_date", "metric", name="uq_published_figure_span"
    ),
)
CORRECTION = Table(
    "correction",
    METADATA,
    _big_id(),
    _owner("account_id", "account.id"),
    _at("captured_at", null=True),
    _owner("figure_id", "published_figure.id", null=True),
    _text("action", 16),
    _text("field", 32),
    _json("old_value"),
    _json("new_value"),
    _text("origin", 255),
    _text("actor", 64, null=True),
    _at("at"),
    _at("undone_at", null=True),
    Index("ix_correction_account_captured", "account_id", "captured_at"),
)
PLATFORM_EVENT = Table(
    "platform_event",
    METADATA,
    _id(),
    _text("platform", 32),
    _at("started_at"),
    _at("ended_at", null=True),
    _int("suspect"),
    _int("polled"),
    Index("ix_platform_event_platform_started", "platform", "started_at"),
)
ALERT = Table(
    "alert",
    METADATA,
    _id(),
    _text("kind", 16),
    _text("subject", 64),
    _owner("account_id", "account.id", null=True),
    _text("platform", 32, null=True),
    _at("opened_at"),
    _at("resolved_at", null=True),
    _text("open_key", 255, null=True, unique=True),
    _text("message", 500),
    _text("resolve_message", 500, null=True),
    _json("detail"),
    Index("ix_alert_opened_at", "opened_at"),
)
ALERT_DELIVERY = Table(
    "alert_delivery",
    METADATA,
    _id(),
    _owner("alert_id", "alert.id"),
    _text("phase", 8),
    _text("channel", 255),
    _text("status", 16),
    _int("attempts", default=0),
    _at("sent_at", null=True),
    _text("last_error", 500, null=True),
    UniqueConstraint("alert_id", "phase", "channel", name="uq_alert_delivery_phase_channel"),
)
RATE_BUDGET = Table(
    "rate_budget",
    METADATA,
    _text("key", 255, primary_key=True),
    _int("requests"),
    Column("per_seconds", Float, nullable=False),
    _json("log", null=False),
    _int("header_left", null=True),
    Column("header_reset", Float, nullable=True),
    _at("updated_at"),
)


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in consecutive pieces of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_new(dialect: Dialect, table: Table, *, unique: Sequence[str]) -> Insert:
    """``INSERT … ON CONFLICT (unique) DO NOTHING`` for SQLite or PostgreSQL."""
    keys = list(unique)
    if dialect.name == "postgresql":
        # Imported here: the package imports every PostgreSQL driver's dialect (~25 ms), which
        # a command on SQLite never needs.
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table).on_conflict_do_nothing(index_elements=keys)
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=keys)


# PostgreSQL takes a whole list of ids as one array parameter: far fewer, shorter statements.
ARRAY_CHUNK = 10_000


def id_pieces(
    dialect: Dialect, column: ColumnElement[Any], ids: Sequence[int]
) -> Iterator[ColumnElement[bool]]:
    """``column IN ids`` in pieces: ``= ANY(array)`` on PostgreSQL, IN lists on SQLite."""
    if dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        for piece in chunks(ids, ARRAY_CHUNK):
            yield column == any_(bindparam("ids", list(piece), type_=postgresql.ARRAY(Integer)))
        return
    for piece in chunks(ids):
        yield column.in_(piece)
