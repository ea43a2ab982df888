"""PostgreSQL: many rows through one statement, each column sent as one array (``unnest``).

SQLAlchemy's executemany runs every value of every row through its type in Python before psycopg
sends the rows one statement each; a poll cycle writes three such statements per chunk of
accounts, and on PostgreSQL that work was most of the cycle's. Here each column goes as one array
and the server unpacks them. Measured on 5,000 rows (docs/development.md, fifth session):
attempts inserted in 46-49 ms against 72-78 (CPU here 19-20 against 61-71), accounts updated in
69-74 against 99-105 (CPU 28-30 against 73-76).

Each array goes as the text of an array literal, written here: psycopg writes a list element by
element in Python (a call and a regular expression each), which was an eighth of a 100,000-account
cycle's samples (tenth session); one ``join`` over the column does the same work in C.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from bot.store.instants import naive

# name -> (PostgreSQL type of the column's array, one value per row)
Columns = Mapping[str, tuple[str, Sequence[Any]]]
# column, its array's type, the key of its value in a row
Spec = Sequence[tuple[str, str, str]]


def columns_of(rows: Sequence[Mapping[str, object]], spec: Spec) -> Columns:
    """The rows' values column by column, as ``spec`` names them."""
    return {name: (kind, [row[key] for row in rows]) for name, kind, key in spec}


def insert_arrays(
    connection: Connection, table: str, columns: Columns, *, unique: Sequence[str] = ()
) -> int:
    """``INSERT`` the rows (``ON CONFLICT (unique) DO NOTHING`` if given); how many went in."""
    names, arrays, params = _unpacked(columns)
    conflict = f" ON CONFLICT ({', '.join(unique)}) DO NOTHING" if unique else ""
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {_selected(columns)}"
        f" FROM unnest({arrays}) AS v({', '.join(names)}){conflict}"
    )
    return max(connection.exec_driver_sql(sql, params).rowcount, 0)


def update_arrays(
    connection: Connection, table: str, key: str, columns: Columns, *, also: str = ""
) -> int:
    """``UPDATE`` each row whose ``key`` column matches the row's; ``also``: more ``SET`` terms
    the same for every row; how many rows changed."""
    names, arrays, params = _unpacked(columns)
    values = [f"{name} = {_value(name, columns[name][0])}" for name in names if name != key]
    sets = ", ".join([*values, also] if also else values)
    sql = (
        f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS v({', '.join(names)})"
        f" WHERE {table}.{key} = v.{key}"
    )
    return max(connection.exec_driver_sql(sql, params).rowcount, 0)


def _unpacked(columns: Columns) -> tuple[list[str], str, tuple[str, ...]]:
    """The column names, the ``unnest`` arguments and their values, converted."""
    names = list(columns)
    arrays = ", ".join(f"%s::{_sent(kind)}[]" for kind, _ in columns.values())
    params = tuple(_converted(name, kind, values) for name, (kind, values) in columns.items())
    return names, arrays, params


def _sent(kind: str) -> str:
    """The array's type as sent: JSON goes as text, cast one value at a time."""
    return "text" if kind == "json" else kind


def _value(name: str, kind: str) -> str:
    """The row's value of a column in the statement."""
    return f"v.{name}::json" if kind == "json" else f"v.{name}"


def _selected(columns: Columns) -> str:
    """The ``SELECT`` list of an insert: each column's value."""
    return ", ".join(_value(name, kind) for name, (kind, _) in columns.items())


def _converted(name: str, kind: str, values: Sequence[Any]) -> str:
    """The column as an array literal of what SQLAlchemy's types would send: aware instants only,
    JSON as ``json.dumps`` writes it, a ``StrEnum`` member as its text."""
    if kind == "timestamptz":
        for value in values:
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name}: {naive(value)}")
        return _literal([None if v is None else v.isoformat() for v in values])
    if kind == "json":
        return _literal([None if v is None else json.dumps(v) for v in values])
    if kind in ("int4", "int8"):
        # ``int.__repr__``: an IntEnum member as its number, a float or a text refused (a bool
        # is an int to Python: 0 or 1).
        if None not in values:
            return "{" + ",".join(map(int.__repr__, values)) + "}"
        return "{" + ",".join("NULL" if v is None else int.__repr__(v) for v in values) + "}"
    if kind == "text":
        return _literal(values)
    # A new kind needs its own literal: psycopg adapted any value, this writes only these.
    raise ValueError(f"{name}: no array literal for {kind}")


def _literal(texts: Sequence[str | None]) -> str:
    """A PostgreSQL array literal of texts: each quoted (a backslash and a quote escaped), NULL
    for None."""
    quoted = [
        "NULL" if t is None else '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'
        for t in texts
    ]
    return "{" + ",".join(quoted) + "}"
