"""Many rows through one statement without SQLAlchemy's per-row parameter work, on SQLite.

For each row of an executemany SQLAlchemy builds a parameter dict through the compiled
statement and runs every value through its type: for the 100,000 rows of each of a poll cycle's
three statements that cost about as much as SQLite's own work (docs/development.md,
2026-12-03). Here the statement is compiled once, each row becomes a tuple in the compiled order
and only values whose type has a bind processor go through it, the UTC datetime one replaced by
the same text written in one C call. Anything this does not recognise, and every statement on
PostgreSQL (where insertmanyvalues already batches the rows), takes SQLAlchemy's own path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.dialects.sqlite.base import DATETIME
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase
from sqlmodel.sql.sqltypes import UTCDateTime

Convert = Callable[[Any], Any]
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
    plan = _plan(connection.dialect, statement, rows[0]) if _fast(connection.dialect) else None
    if plan is None:
        return max(connection.execute(statement, list(rows)).rowcount, 0)
    sql, keys, constants, converters = plan
    values = [
        tuple(
            row[key] if convert is None else convert(row[key])
            for key, convert in zip(keys, converters, strict=True)
        )
        for row in rows
    ]
    if constants:
        values = [_with_constants(value, constants) for value in values]
    return max(connection.exec_driver_sql(sql, values).rowcount, 0)


def sqlite_utc_text(value: datetime | None) -> str | None:
    """An aware datetime as SQLModel and SQLAlchemy store it on SQLite: UTC, no offset."""
    if value is None:
        return None
    if value.utcoffset() is None:
        raise ValueError("Datetime values must have timezone information.")
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


Plan = tuple[str, list[str], dict[int, Any], list[Convert | None]]


def _fast(dialect: Dialect) -> bool:
    """Only SQLite's qmark style is written here."""
    return dialect.name == "sqlite" and dialect.paramstyle == "qmark"


def _plan(dialect: Dialect, statement: UpdateBase, first: Mapping[str, Any]) -> Plan | None:
    """The SQL, the row keys in bind order, constant binds by position and the converters."""
    compiled = statement.compile(dialect=dialect, column_keys=list(first))
    if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
        return None
    keys: list[str] = []
    converters: list[Convert | None] = []
    constants: dict[int, Any] = {}
    for position, name in enumerate(compiled.positiontup):
        bind = compiled.binds.get(name)
        if bind is None:
            return None
        convert = _converter(bind.type, dialect)
        if name in first:
            keys.append(name)
            converters.append(convert)
        elif bind.callable is None and not bind.required:
            # A value written into the statement (``lease_owner=None``): the same for every row.
            constants[position] = bind.value if convert is None else convert(bind.value)
        else:
            # A default computed per row, or a value this cannot give: SQLAlchemy's path.
            return None
    return compiled.string, keys, constants, converters


def _converter(type_: Any, dialect: Dialect) -> Convert | None:
    """The type's bind processor, or the same conversion done faster for UTC datetimes."""
    # What SQLAlchemy runs at execution: the processor of the type's form for this dialect.
    impl = type_.dialect_impl(dialect)
    if type(type_) is UTCDateTime:
        stored = getattr(impl, "impl", None)
        if type(stored) is DATETIME and stored._storage_format == _SQLITE_DEFAULT_FORMAT:
            return sqlite_utc_text
    processor: Convert | None = impl.bind_processor(dialect)
    return processor


def _with_constants(value: tuple[Any, ...], constants: dict[int, Any]) -> tuple[Any, ...]:
    """``value`` with the statement's constant binds put in at their positions."""
    cells = list(value)
    for position in sorted(constants):
        cells.insert(position, constants[position])
    return tuple(cells)
