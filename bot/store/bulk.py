"""Many rows through one statement without SQLAlchemy's per-row parameter work, on SQLite.

For each row of an executemany SQLAlchemy builds a parameter dict through the compiled
statement and runs every value through its type: for the 100,000 rows of each of a poll cycle's
three statements that cost about as much as SQLite's own work (docs/development.md,
Performance). Here the statement is compiled once, each row becomes a tuple in the compiled order
and only values whose type has a bind processor go through it, the UTC datetime one replaced by
the same text written in one C call. Anything this does not recognise, and every statement on
PostgreSQL, takes SQLAlchemy's own path (the poll cycle's three writes on PostgreSQL go as arrays
instead: bot/store/arrays.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.dialects.sqlite.base import DATETIME
from sqlalchemy.exc import StatementError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase

from bot.store.instants import UTCDateTime, naive

Convert = Callable[[Any], Any]
# Fewer rows than this take SQLAlchemy's path (a compile here costs ~0.2 ms a statement).
FEWEST = 16
# What SQLAlchemy's SQLite DATETIME writes unless told otherwise: isoformat's microseconds form
# (tests/store/test_bulk.py holds the two equal).
_SQLITE_DEFAULT_FORMAT = (
    "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"
)


def execute_many(
    connection: Connection, statement: UpdateBase, rows: Sequence[Mapping[str, Any]]
) -> int:
    """Run ``statement`` for every row (all with the same keys); the rows it changed."""
    if not rows:
        return 0
    # A few rows (a refused row written alone) are cheaper through SQLAlchemy's cached compile.
    fast = _fast(connection.dialect) and len(rows) >= FEWEST
    plan = _plan(connection.dialect, statement, rows[0]) if fast else None
    if plan is None:
        return max(connection.execute(statement, list(rows)).rowcount, 0)
    sql, cells = plan
    try:
        # Column by column, so the loops over rows are C's: a generator a row cost more than
        # SQLite's own work.
        columns = [cell(rows) for cell in cells]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # What SQLAlchemy raises for a value it cannot bind, so callers see one kind of error.
        raise StatementError(str(exc), sql, None, exc) from exc
    values = list(zip(*columns, strict=True))
    return max(connection.exec_driver_sql(sql, values).rowcount, 0)


def sqlite_utc_text(value: datetime) -> str:
    """An aware datetime as ``UTCDateTime`` stores it on SQLite: UTC, no offset."""
    if value.utcoffset() is None:
        raise ValueError(naive(value))
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


def _sqlite_utc_cell(value: datetime | None) -> str | None:
    """``sqlite_utc_text``, NULL kept."""
    return None if value is None else sqlite_utc_text(value)


# A column of the statement's parameters, from all the rows at once.
Cells = Callable[[Sequence[Mapping[str, Any]]], list[Any]]
Plan = tuple[str, list[Cells]]


def _fast(dialect: Dialect) -> bool:
    """Only SQLite's qmark style is written here."""
    return dialect.name == "sqlite" and dialect.paramstyle == "qmark"


def _plan(dialect: Dialect, statement: UpdateBase, first: Mapping[str, Any]) -> Plan | None:
    """The SQL and, in bind order, how each parameter column is made from the rows."""
    compiled = statement.compile(dialect=dialect, column_keys=list(first))
    if (
        not isinstance(compiled, SQLCompiler)
        or compiled.positiontup is None
        # Column defaults computed per row, RETURNING, IN lists expanded at execution: all
        # work SQLAlchemy does at execution time, which this path would skip.
        or compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.returning
        or compiled.post_compile_params
        or compiled.literal_execute_params
    ):
        return None
    cells: list[Cells] = []
    for name in compiled.positiontup:
        bind = compiled.binds.get(name)
        if bind is None:
            return None
        convert = _converter(bind.type, dialect)
        if name in first:
            cells.append(_column(name, convert))
        elif bind.callable is None and not bind.required:
            # A value written into the statement (``lease_owner=None``): the same for every row.
            cells.append(_constant(bind.value if convert is None else convert(bind.value)))
        else:
            # A default computed per row, or a value this cannot give: SQLAlchemy's path.
            return None
    return compiled.string, cells


def _column(key: str, convert: Convert | None) -> Cells:
    """The rows' ``key`` values, through ``convert`` when the type has one."""
    pick = itemgetter(key)
    if convert is None:
        return lambda rows: list(map(pick, rows))
    if convert is _sqlite_utc_cell:
        return _utc_texts(pick)
    return lambda rows: list(map(convert, map(pick, rows)))


def _utc_texts(pick: Convert) -> Cells:
    """A column of instants as SQLite text (``utc_texts``)."""
    return lambda rows: utc_texts(map(pick, rows))


def utc_texts(values: Iterable[datetime | None]) -> list[str | None]:
    """Instants as SQLite stores them (``sqlite_utc_text``), each distinct one formatted once.

    A chunk's or a batch's rows share few instants (a response's capture time, the cycle's
    clock, a file's days): three of a poll's four instant columns hold a handful of values over
    thousands of rows.
    """
    texts: dict[datetime | None, str | None] = {}
    out = []
    for value in values:
        # Equal aware instants have one UTC text; a naive one equals no aware one.
        text = texts.get(value)
        if text is None:
            text = texts[value] = _sqlite_utc_cell(value)
        out.append(text)
    return out


def _constant(value: Any) -> Cells:
    """``value`` once per row."""
    return lambda rows: [value] * len(rows)


def _converter(type_: Any, dialect: Dialect) -> Convert | None:
    """The type's bind processor, or the same conversion done faster for UTC datetimes."""
    # What SQLAlchemy runs at execution: the processor of the type's form for this dialect.
    impl = type_.dialect_impl(dialect)
    if type(type_) is UTCDateTime:
        stored = getattr(impl, "impl", None)
        if type(stored) is DATETIME and stored._storage_format == _SQLITE_DEFAULT_FORMAT:
            return _sqlite_utc_cell
    processor: Convert | None = impl.bind_processor(dialect)
    return processor
