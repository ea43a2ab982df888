"""What a streamed ``bot import`` writes and asks: rows in bulk, second rows, its suspect rows.

Rows go to the database the cheapest way that is still safe, inside the caller's transaction:

- **straight in** (``Sink.hold``'s first list): rows the importer has proved cannot meet a stored
  row (an account with no history before the import, its rows strictly later each time).
  PostgreSQL takes them by binary ``COPY``, SQLite by one prepared ``INSERT`` over the batch.
- **staged** (``Sink.hold``'s second list): every other row goes the same way into a temporary
  table, ``import_staging``, with its line. Second rows for an account and instant are found
  there with one query (``Sink.duplicates``); then one ``INSERT … SELECT … ON CONFLICT DO
  NOTHING`` (``Sink.merge``) adds the new ones and leaves the stored ones alone.

On PostgreSQL a batch's rows are written by a thread while the importer parses and builds the
next batch: the server's work for a COPY (its rows, their indexes, then one check of their
accounts, migration 0008) no longer stops the parse. The importer formats the straight-in rows
itself (bot/store/pgcopy.py): the thread only sends.
The importer lends the connection to that thread (``send``) and takes it back (``wait``) before
it runs anything itself; on SQLite ``send`` writes at once.

Rows this import inserted have ids above the highest one before it began (``last_snapshot_id``).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, func, select, text

from bot.kinds import AccountStatus, Quality
from bot.store.bulk import sqlite_utc_text, utc_texts
from bot.store.pgcopy import Row, encode
from bot.store.tables import ACCOUNT, CORRECTION, SNAPSHOT, chunks, insert_new

Staged = tuple[int, Row]  # (line, row)
Duplicate = tuple[int, int | None, int, datetime]  # (line, first line or None if unknown, …)

_COLUMNS = "account_id, captured_at, followers, following, posts, precision, source, quality"
# The PostgreSQL types of a Row's values, for COPY in binary: the server reads no text, and
# psycopg's C dumpers write each value without formatting it.
_TYPES = ["int4", "timestamptz", "int8", "int8", "int8", "int4", "text", "text"]
_LINED = ["int4", *_TYPES]  # a staged row: its line first
_STAGING = "import_staging"
_CREATE = {
    "postgresql": f"CREATE TEMPORARY TABLE {_STAGING} (line integer NOT NULL,"
    " account_id integer NOT NULL, captured_at timestamptz NOT NULL, followers bigint,"
    " following bigint, posts bigint, precision integer NOT NULL, source varchar(16) NOT NULL,"
    " quality varchar(16) NOT NULL) ON COMMIT DROP",
    "sqlite": f"CREATE TEMPORARY TABLE {_STAGING} (line INTEGER NOT NULL,"
    " account_id INTEGER NOT NULL, captured_at DATETIME NOT NULL, followers BIGINT,"
    " following BIGINT, posts BIGINT, precision INTEGER NOT NULL, source VARCHAR(16) NOT NULL,"
    " quality VARCHAR(16) NOT NULL)",
}
# A second staged row for one account and instant: its line and the first one's.
_SECOND_STAGED = text(
    f"SELECT s.line, f.first, s.account_id, s.captured_at FROM {_STAGING} s JOIN"
    f" (SELECT account_id, captured_at, MIN(line) AS first FROM {_STAGING}"
    "  GROUP BY account_id, captured_at HAVING COUNT(*) > 1) f"
    " ON s.account_id = f.account_id AND s.captured_at = f.captured_at WHERE s.line > f.first"
)
# A staged row for an instant this import already wrote straight in.
_WRITTEN_BEFORE = text(
    f"SELECT s.line, s.account_id, s.captured_at FROM {_STAGING} s JOIN snapshot n"
    " ON n.account_id = s.account_id AND n.captured_at = s.captured_at WHERE n.id > :after"
)
# ``WHERE true`` lets SQLite tell the upsert clause from a join's ON.
_MERGE = text(
    f"INSERT INTO snapshot ({_COLUMNS}) SELECT {_COLUMNS} FROM {_STAGING} WHERE true"
    " ORDER BY account_id, captured_at ON CONFLICT (account_id, captured_at) DO NOTHING"
)


def last_snapshot_id(connection: Connection) -> int:
    """The highest snapshot id so far (0 in an empty database)."""
    found: int | None = connection.execute(select(func.max(SNAPSHOT.c.id))).scalar_one()
    return found or 0


Key = tuple[str, str, bool]  # platform, handle, any case (the platform folds it)


def resolve_accounts(
    connection: Connection, keys: Sequence[Key], now: datetime
) -> dict[tuple[str, str], tuple[int, bool]]:
    """Each ``(platform, handle)``'s account id and whether it has history (rows an import
    could meet), the missing ones created unscheduled; a handle of any case matches the first
    stored account spelt another way, as ``get_or_create`` does."""
    found = _stored(connection, keys)
    stored = set(found.values())
    # Two new spellings of one account (a platform that folds case): the first is created.
    first: dict[tuple[str, str, bool], tuple[str, str]] = {}
    spelling: dict[tuple[str, str], tuple[str, str]] = {}
    for platform, handle, any_case in keys:
        if (platform, handle) not in found:
            folded = (platform, handle.lower() if any_case else handle, any_case)
            spelling[(platform, handle)] = first.setdefault(folded, (platform, handle))
    if first:
        rows: list[dict[str, Any]] = [
            {
                "platform": platform,
                "handle": handle,
                "groups": [],
                "status": AccountStatus.ACTIVE,
                "created_at": now,
                "next_poll_at": None,
            }
            for platform, handle in first.values()
        ]
        # RETURNING: the new ids in the same statement, sent as multi-row INSERTs (SQLAlchemy's
        # "insertmanyvalues"), not one statement a row. An account another process made in the
        # meantime conflicts, returns nothing, and is looked up.
        insert = insert_new(connection.dialect, ACCOUNT, unique=["platform", "handle"])
        inserted = connection.execute(
            insert.returning(ACCOUNT.c.id, ACCOUNT.c.platform, ACCOUNT.c.handle), rows
        )
        ids = {(row.platform, row.handle): row.id for row in inserted}
        lost = [(p, h, False) for p, h in first.values() if (p, h) not in ids]
        others = _stored(connection, lost)
        stored.update(others.values())
        ids.update(others)
        found.update({key: ids[made] for key, made in spelling.items()})
    # An account this statement created has no history: only the others are asked.
    busy = _with_history(connection, sorted(stored))
    return {key: (account_id, account_id in busy) for key, account_id in found.items()}


def _stored(connection: Connection, keys: Sequence[Key]) -> dict[tuple[str, str], int]:
    """The stored accounts of these keys: exact spelling first, else the first in any case."""
    found: dict[tuple[str, str], int] = {}
    for platform in sorted({p for p, _, _ in keys}):
        handles = sorted({h for p, h, _ in keys if p == platform})
        for chunk in chunks(handles):
            rows = connection.execute(
                select(ACCOUNT.c.id, ACCOUNT.c.handle).where(
                    ACCOUNT.c.platform == platform, ACCOUNT.c.handle.in_(chunk)
                )
            )
            found.update({(platform, row.handle): row.id for row in rows})
        folded = sorted(
            {h.lower() for p, h, a in keys if p == platform and a and (p, h) not in found}
        )
        first: dict[str, int] = {}
        for chunk in chunks(folded):
            # Equality on lower(): ``%`` and ``_`` in a handle are characters, never wildcards.
            lowered = func.lower(ACCOUNT.c.handle)
            rows = connection.execute(
                select(ACCOUNT.c.id, lowered.label("folded"))
                .where(ACCOUNT.c.platform == platform, lowered.in_(chunk))
                .order_by(ACCOUNT.c.id)
            )
            for row in rows:
                first.setdefault(row.folded, row.id)
        for p, h, any_case in keys:
            if p == platform and any_case and (p, h) not in found and h.lower() in first:
                found[(p, h)] = first[h.lower()]
    return found


def _with_history(connection: Connection, account_ids: Sequence[int]) -> set[int]:
    """Of these accounts, those with a stored snapshot or correction."""
    busy: set[int] = set()
    for table in (SNAPSHOT, CORRECTION):
        for chunk in chunks(account_ids):
            busy.update(
                connection.execute(
                    select(table.c.account_id).where(table.c.account_id.in_(chunk)).distinct()
                ).scalars()
            )
    return busy


class Sink:
    """Where an import's rows go (see the module): COPY or executemany, in one transaction.

    A context manager: leaving it waits for the writing thread, whatever happened.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._postgres = connection.dialect.name == "postgresql"
        self._staging = False
        # Per batch: its straight-in rows as COPY bytes (PostgreSQL) or as rows, its staged rows.
        self._held: list[tuple[bytes, Sequence[Row], Sequence[Staged]]] = []
        self._writer = ThreadPoolExecutor(1, "import-copy") if self._postgres else None
        self._writing: Future[None] | None = None

    def __enter__(self) -> Sink:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                self.wait()
                if self._held:
                    # A caller that committed without ``merge`` or ``close``: a bug, said loudly.
                    raise RuntimeError("import rows held but never written")
        finally:
            if self._writer is not None:
                # On an error the thread's own failure (if any) is the lesser news: dropped.
                self._writer.shutdown(wait=True)

    def hold(self, direct: Sequence[Row], staged: Sequence[Staged]) -> None:
        """Keep a batch's rows for the next ``send``: ``direct`` provably meet no stored row (a
        conflict would be a bug: it raises), ``staged`` go through ``duplicates`` and ``merge``."""
        if self._postgres and direct:
            self._held.append((encode(direct), (), staged))
        elif direct or staged:
            self._held.append((b"", direct, staged))

    def send(self) -> None:
        """Write the held rows: on PostgreSQL in the thread, which has the connection until
        ``wait``; on SQLite now."""
        self.wait()
        held, self._held = self._held, []
        if not held:
            return
        if self._writer is None:
            self._write(held)
        else:
            self._writing = self._writer.submit(self._write, held)

    def wait(self) -> None:
        """Take the connection back: the thread's writing done, or its error raised here."""
        writing, self._writing = self._writing, None
        if writing is not None:
            writing.result()

    def _write(self, held: Sequence[tuple[bytes, Sequence[Row], Sequence[Staged]]]) -> None:
        """Each held batch: its direct rows into ``snapshot``, its staged ones into staging."""
        for block, direct, staged in held:
            if block:
                self._copy(f"snapshot ({_COLUMNS})", block)
            self._put(f"snapshot ({_COLUMNS})", direct, at=1, types=_TYPES)
            if staged:
                if not self._staging:
                    self._connection.exec_driver_sql(f"DROP TABLE IF EXISTS {_STAGING}")
                    self._connection.exec_driver_sql(_CREATE[self._connection.dialect.name])
                    self._staging = True
                lined = [(line, *row) for line, row in staged]
                self._put(f"{_STAGING} (line, {_COLUMNS})", lined, at=2, types=_LINED)

    def duplicates(self, *, after_id: int) -> list[Duplicate]:
        """Staged rows that repeat an account and instant of the file (seconds of each)."""
        self._drain()
        if not self._staging:
            return []
        found: list[Duplicate] = [
            (r.line, r.first, r.account_id, _instant(r.captured_at))
            for r in self._connection.execute(_SECOND_STAGED)
        ]
        found += [
            (r.line, None, r.account_id, _instant(r.captured_at))
            for r in self._connection.execute(_WRITTEN_BEFORE, {"after": after_id})
        ]
        return found

    def merge(self) -> int:
        """Add the staged rows not stored yet; how many were added."""
        self._drain()
        if not self._staging:
            return 0
        added: int = self._connection.execute(_MERGE).rowcount
        return added

    def staged_instants(self, account_id: int, instants: Sequence[datetime]) -> set[datetime]:
        """Of ``instants``, those the file gave for the account (its staged rows)."""
        self._drain()
        if not self._staging or not instants:
            return set()
        rows = self._connection.execute(
            text(
                f"SELECT captured_at FROM {_STAGING} WHERE account_id = :account"
                " AND captured_at >= :first AND captured_at <= :last"
            ),
            {
                "account": account_id,
                "first": self._bind(min(instants)),
                "last": self._bind(max(instants)),
            },
        )
        return {_instant(value) for (value,) in rows} & set(instants)

    def close(self) -> None:
        """Drop the staging table (PostgreSQL drops it at commit by itself)."""
        self._drain()
        if self._staging and not self._postgres:
            self._connection.exec_driver_sql(f"DROP TABLE {_STAGING}")
        self._staging = False

    def _drain(self) -> None:
        """Every held row written, the connection back."""
        self.send()
        self.wait()

    def _copy(self, target: str, block: bytes) -> None:
        """COPY a stream ``pgcopy.encode`` made: sent, nothing formatted here."""
        driver: Any = self._connection.connection.driver_connection
        statement = f"COPY {target} FROM STDIN (FORMAT BINARY)"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            copy.write(block)

    def _bind(self, when: datetime) -> Any:
        """An instant as the staging table holds it."""
        return when if self._postgres else sqlite_utc_text(when)

    def _put(
        self, target: str, rows: Sequence[tuple[Any, ...]], *, at: int, types: list[str]
    ) -> None:
        """COPY (PostgreSQL) or one prepared INSERT over all rows (SQLite); ``at``: the instant."""
        if not rows:
            return
        driver: Any = self._connection.connection.driver_connection
        if self._postgres:
            statement = f"COPY {target} FROM STDIN (FORMAT BINARY)"
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" * (target.count(",") + 1))
        texts = utc_texts(row[at] for row in rows)
        driver.executemany(
            f"INSERT INTO {target} VALUES ({marks})",
            [(*row[:at], text, *row[at + 1 :]) for row, text in zip(rows, texts, strict=True)],
        )


def _instant(value: datetime | str) -> datetime:
    """A ``captured_at`` read by text SQL: a datetime (PostgreSQL) or SQLite's text."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.astimezone(UTC)


def suspect_between(
    connection: Connection, account_id: int, first: datetime, last: datetime
) -> dict[datetime, int | None]:
    """The account's suspect snapshots in [first, last]: instant -> follower count."""
    rows = connection.execute(
        select(SNAPSHOT.c.captured_at, SNAPSHOT.c.followers).where(
            SNAPSHOT.c.account_id == account_id,
            SNAPSHOT.c.captured_at >= first,
            SNAPSHOT.c.captured_at <= last,
            SNAPSHOT.c.quality == Quality.SUSPECT,
        )
    )
    return {row.captured_at: row.followers for row in rows}
