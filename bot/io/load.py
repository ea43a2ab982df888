"""``bot import``: a validated history file written in one transaction, idempotently.

Imported rows pass the same quality gate as polled ones (bot/quality.py), judged against their
neighbours on both sides once they are in place: a suspect one is kept as ``suspect`` and left
out of every figure; ``trust`` stores it as ``ok`` instead (recorded as a ``mark_ok``
correction, so the gate leaves it so). A row exported as ``suspect`` or ``confirmed_drop``
keeps that quality the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlmodel import Session

from bot.config import Settings
from bot.io.mapped import ColumnMap, stream_mapped_file
from bot.io.native import ImportRow, RowStream, stream_import_file
from bot.kinds import CorrectionAction, Quality
from bot.platforms import REGISTRY
from bot.store import judging
from bot.store.accounts import get_or_create
from bot.store.corrections import Audit, Change, apply, stored_snapshots
from bot.store.imports import last_snapshot_id, suspect_between, written_by_this_import
from bot.store.writes import NewSnapshot, count_snapshots, insert_snapshots, set_platform_id

BATCH = 1000


def _normalize(platform: str, handle: str) -> str:
    """The registry's handle rules, for the importer."""
    return REGISTRY[platform].normalize_handle(handle)


@dataclass(frozen=True)
class ImportCounts:
    """What an import did: rows read, snapshots added, stored ones replaced (``--replace``)."""

    read: int
    added: int
    replaced: int = 0
    # Imported rows the gate kept as suspect: (``platform:handle``, instant, followers).
    suspect: Sequence[tuple[str, datetime, int | None]] = ()
    trusted: int = 0  # with ``trust``: rows the gate would have kept as suspect, stored as ok


@dataclass
class _Span:
    """Per account: the imported instants' range and the non-ok qualities the file gives."""

    first: datetime
    last: datetime
    given: dict[datetime, Quality] = field(default_factory=dict)


@dataclass
class _Import:
    """One import in progress: the accounts met so far and what was written."""

    session: Session
    now: datetime
    replace: Audit | None
    after_id: int = 0  # the highest snapshot id before this import
    ids: dict[tuple[str, str], int] = field(default_factory=dict)
    spans: dict[int, _Span] = field(default_factory=dict)
    before: int = 0  # snapshots its accounts had before it
    replaced: int = 0

    def account(self, platform: str, handle: str) -> int:
        """The account's id, created unscheduled on first sight."""
        key = (platform, handle)
        if key not in self.ids:
            any_case = REGISTRY[platform].handle_any_case(handle)
            account = get_or_create(self.session, platform, handle, self.now, any_case=any_case)
            account_id = account.id or 0
            # A handle spelt another way may be an account already met: counted once.
            known = account_id in self.ids.values()
            self.ids[key] = account_id
            # Counting before and after is cheaper than RETURNING every new id on PostgreSQL.
            if not known:
                self.before += count_snapshots(self.session.connection(), [account_id])
        return self.ids[key]


def import_history(
    engine: Engine,
    settings: Settings,
    path: Path,
    now: datetime,
    mapping: ColumnMap | None = None,
    replace: Audit | None = None,
    trust: Audit | None = None,
) -> ImportCounts:
    """Import ``path``. Re-importing adds nothing; ``replace`` overwrites values that differ.

    The file is read once, in batches of ``BATCH`` rows, inside one transaction: memory stays
    bounded, and any bad row (found anywhere in the file) leaves nothing stored.
    """
    stream = _open(path, settings, mapping, now)
    with Session(engine) as session:
        job = _Import(session, now, replace)
        connection = session.connection()
        job.after_id = last_snapshot_id(connection)
        for batch in _batches(stream):
            _write(job, stream, batch)
        stream.finish()  # raises on any problem: the session closes without a commit
        ids = list(dict.fromkeys(job.ids.values()))  # each account once, however spelt
        added = count_snapshots(connection, ids) - job.before
        _gate(connection, settings, job.spans, now)
        flagged = _flagged(connection, job, _open(path, settings, mapping, now))
        trusted = 0
        if trust is not None and flagged:
            trusted = _trust(connection, [(i, at) for i, at, _ in flagged], trust)
            _gate(connection, settings, job.spans, now)
            flagged = []
        keys = {account_id: f"{p}:{h}" for (p, h), account_id in job.ids.items()}
        suspect = [(keys[i], at, followers) for i, at, followers in flagged]
        session.commit()
    return ImportCounts(stream.read, added, job.replaced, suspect, trusted)


def _open(path: Path, settings: Settings, mapping: ColumnMap | None, now: datetime) -> RowStream:
    """The file's rows, native or through a column mapping."""
    if mapping is not None:
        return stream_mapped_file(
            path, mapping, tz=settings.timezone, normalize=_normalize, now=now
        )
    return stream_import_file(
        path, tz=settings.timezone, platforms=REGISTRY, normalize=_normalize, now=now
    )


def _batches(rows: Iterable[ImportRow]) -> Iterator[list[ImportRow]]:
    """``rows`` in lists of at most ``BATCH``."""
    batch: list[ImportRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _write(job: _Import, stream: RowStream, batch: list[ImportRow]) -> None:
    """Write one batch, refusing a second row for an instant (in it or written before)."""
    rows = _unique(job, stream, batch)
    if stream.failed:
        return  # nothing will be kept: reading on only finds the other problems
    connection = job.session.connection()
    job.replaced += insert_snapshots(
        connection, [_new(job.ids[(r.platform, r.handle)], r) for r in rows], replace=job.replace
    )
    _note(job.spans, job.ids, rows)
    for row in rows:
        if row.platform_id is not None:
            set_platform_id(connection, job.ids[(row.platform, row.handle)], row.platform_id)


def _unique(job: _Import, stream: RowStream, batch: list[ImportRow]) -> list[ImportRow]:
    """The batch without second observations of an account at one instant (each rejected)."""
    first: dict[tuple[int, datetime], int] = {}
    by_account: dict[int, list[datetime]] = defaultdict(list)
    kept: list[ImportRow] = []
    for row in batch:
        key = (job.account(row.platform, row.handle), row.captured_at)
        if key in first:
            stream.reject(row.line, _duplicate(row, f"line {first[key]}"))
            continue
        first[key] = row.line
        span = job.spans.get(key[0])
        # Only an instant inside the range written so far can have been written before.
        if span is not None and span.first <= row.captured_at <= span.last:
            by_account[key[0]].append(row.captured_at)
        kept.append(row)
    earlier: set[tuple[int, datetime]] = set()
    for account_id, instants in by_account.items():
        written = written_by_this_import(
            job.session.connection(),
            account_id,
            instants,
            after_id=job.after_id,
            replace=job.replace,
        )
        earlier.update((account_id, at) for at in written)
    if not earlier:
        return kept
    unique = []
    for row in kept:
        if (job.ids[(row.platform, row.handle)], row.captured_at) in earlier:
            stream.reject(row.line, _duplicate(row, "an earlier line"))
        else:
            unique.append(row)
    return unique


def _duplicate(row: ImportRow, of: str) -> str:
    """``duplicate of line 2: x:dgsn at 2021-12-31T22:59:59.999999Z``."""
    when = row.captured_at.isoformat().replace("+00:00", "Z")
    return f"duplicate of {of}: {row.platform}:{row.handle} at {when}"


def _flagged(
    connection: Connection, job: _Import, again: RowStream
) -> list[tuple[int, datetime, int | None]]:
    """The file's rows now suspect that the file did not call so: (account, instant, count).

    The suspect rows in each account's imported range are few; the file is read a second time
    to see which of them are its own.
    """
    candidates: dict[tuple[int, datetime], int | None] = {}
    for account_id, span in job.spans.items():
        found = suspect_between(connection, account_id, span.first, span.last)
        given = _given_suspect(span)
        candidates.update({(account_id, at): n for at, n in found.items() if at not in given})
    if not candidates:
        return []
    mine = {
        key
        for row in again
        if (key := (job.ids.get((row.platform, row.handle), 0), row.captured_at)) in candidates
    }
    return sorted((i, at, candidates[(i, at)]) for i, at in mine)


def _new(account_id: int, row: ImportRow) -> NewSnapshot:
    """The snapshot row of one imported row; the gate judges its quality afterwards."""
    return {
        "account_id": account_id,
        "captured_at": row.captured_at,
        "followers": row.followers,
        "following": row.following,
        "posts": row.posts,
        "extra": None,
        "precision": row.precision,
        "source": row.source,
        "quality": row.quality or Quality.OK,
    }


def _note(
    spans: dict[int, _Span], ids: dict[tuple[str, str], int], rows: Iterable[ImportRow]
) -> None:
    """Remember each account's earliest instant and the non-ok qualities the file gives."""
    for row in rows:
        account_id = ids[(row.platform, row.handle)]
        span = spans.setdefault(account_id, _Span(row.captured_at, row.captured_at))
        span.first = min(span.first, row.captured_at)
        span.last = max(span.last, row.captured_at)
        if row.quality not in (None, Quality.OK):
            span.given[row.captured_at] = Quality(row.quality)


def _gate(
    connection: Connection, settings: Settings, spans: dict[int, _Span], now: datetime
) -> None:
    """Judge every touched account from its earliest imported row on; keep given qualities."""
    for account_id, span in sorted(spans.items()):
        changes = judging.rejudge(
            connection, account_id, span.first, confirm_after=settings.confirm_drop_after
        )
        # An exported suspect (or confirmed) row keeps its quality: the gate is told by hand.
        kept = {at: q for at, q in span.given.items() if changes.get(at, q) != q}
        if kept:
            audit = Audit("bot import (quality column)", None, now)
            _pin(connection, account_id, kept, audit)
            judging.rejudge(
                connection, account_id, span.first, confirm_after=settings.confirm_drop_after
            )


def _given_suspect(span: _Span) -> set[datetime]:
    """The instants the file itself calls suspect: not news to report."""
    return {at for at, quality in span.given.items() if quality == Quality.SUSPECT}


def _trust(connection: Connection, flagged: list[tuple[int, datetime]], audit: Audit) -> int:
    """Store the rows the gate flagged as ok, each recorded as a hand mark; how many."""
    by_account: dict[int, dict[datetime, Quality]] = {}
    for account_id, at in flagged:
        by_account.setdefault(account_id, {})[at] = Quality.OK
    for account_id, marks in by_account.items():
        _pin(connection, account_id, marks, audit)
    return len(flagged)


def _pin(
    connection: Connection, account_id: int, marks: dict[datetime, Quality], audit: Audit
) -> None:
    """Set these qualities as hand marks (``mark_ok``/``mark_suspect`` corrections)."""
    for at, quality in sorted(marks.items()):
        [target] = stored_snapshots(connection, account_id, first=at, last=at)
        action = (
            CorrectionAction.MARK_SUSPECT
            if quality == Quality.SUSPECT
            else CorrectionAction.MARK_OK
        )
        apply(connection, target, Change(action, "quality", str(quality)), audit)
