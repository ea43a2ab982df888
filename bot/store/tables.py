"""Typed Core handles on the tables, and the two helpers every bulk statement shares.

The store writes and reads in bulk through SQLAlchemy Core (DESIGN.md, performance notes): the
handles below give those statements typed columns, ``chunks`` keeps IN lists and batches under
SQLite's cap on bound parameters, and ``insert_new`` is the one dialect-aware
``INSERT … ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Dialect, Integer, Table, any_, bindparam, inspect
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.dml import Insert
from sqlmodel import SQLModel

from bot.store.models import (
    Account,
    Alert,
    AlertDelivery,
    Correction,
    DigestRun,
    PlatformEvent,
    PlatformState,
    PollAttempt,
    PublishedFigure,
    RateBudgetRow,
    Snapshot,
    StoreState,
)

T = TypeVar("T")
# SQLite caps bound parameters per statement (999 before 3.32): IN lists go in pieces this big.
CHUNK = 500


def _table(model: type[SQLModel]) -> Table:
    """The Core table SQLModel built for a table model."""
    # SQLModel does not declare ``__table__`` to type checkers, and a mapper's ``local_table`` is
    # typed as the wider FromClause (a mapper may map a join); a table model maps one Table.
    return cast(Table, inspect(model).local_table)


ACCOUNT = _table(Account)
SNAPSHOT = _table(Snapshot)
POLL_ATTEMPT = _table(PollAttempt)
DIGEST_RUN = _table(DigestRun)
PLATFORM_STATE = _table(PlatformState)
PUBLISHED_FIGURE = _table(PublishedFigure)
CORRECTION = _table(Correction)
PLATFORM_EVENT = _table(PlatformEvent)
ALERT = _table(Alert)
ALERT_DELIVERY = _table(AlertDelivery)
STORE_STATE = _table(StoreState)
RATE_BUDGET = _table(RateBudgetRow)


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
