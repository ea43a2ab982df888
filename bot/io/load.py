"""``bot import``: a validated history file written in one transaction, idempotently.

Imported rows pass the same quality gate as polled ones (bot/quality.py), judged against their
neighbours on both sides once they are in place: a suspect one is kept as ``suspect`` and left
out of every figure; ``trust`` stores it as ``ok`` instead (recorded as a ``mark_ok``
correction, so the gate leaves it so). A row exported as ``suspect`` or ``confirmed_drop``
keeps that quality the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlmodel import Session

from bot.collector import paused
from bot.config import Settings
from bot.io.mapped import ColumnMap, stream_mapped_file
from bot.io.native import ImportRow, RowStream, stream_import_file
from bot.kinds import CorrectionAction, Quality, Source
from bot.platforms import REGISTRY
from bot.quality import is_drop
from bot.store import judging
from bot.store.corrections import Audit, Change, apply, replace_existing, stored_snapshots
from bot.store.imports import (
    Key,
    Sink,
    Staged,
    last_snapshot_id,
    resolve_accounts,
    suspect_between,
)
from bot.store.pgcopy import Row
from bot.store.writes import set_platform_id

# Rows per batch: each batch is one COPY (or executemany) and one look-up of its new accounts.
BATCH = 10_000
_IMPORT, _OK = str(Source.IMPORT), str(Quality.OK)
# The names of a ``Row``'s values, for ``replace_existing``.
_FIELDS = [
    "account_id",
    "captured_at",
    "followers",
    "following",
    "posts",
    "precision",
    "source",
    "quality",
]


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


@dataclass(slots=True)
class _Account:
    """One account met in the file, and what its rows so far say about it."""

    id: int
    key: str  # ``platform:handle`` as first met
    fresh: bool  # no stored snapshot or correction before: its rows can meet no stored row
    first: datetime
    last: datetime
    last_line: int  # 0 until a row of it is taken
    count: int | None = None  # the last follower count, in file order
    ordered: bool = True  # each row later than the one before, so far
    # No count more than DROP_SHARE away from the one before, no quality given: with ``fresh``
    # and ``ordered``, every verdict of the gate is ``ok`` (bot/quality.py) and nothing is judged.
    calm: bool = True
    given: dict[datetime, Quality] = field(default_factory=dict)  # non-ok qualities in the file
    platform_id: str | None = None  # the first the file gives

    @property
    def settled(self) -> bool:
        """True when the gate has nothing to say about this account's rows."""
        return self.fresh and self.ordered and self.calm


@dataclass
class _Import:
    """One import in progress: the accounts met so far, by spelling and by id."""

    session: Session
    sink: Sink
    now: datetime
    replace: Audit | None
    after_id: int = 0  # the highest snapshot id before this import
    keys: dict[tuple[str, str], _Account] = field(default_factory=dict)
    accounts: dict[int, _Account] = field(default_factory=dict)
    written: int = 0  # rows inserted straight in
    replaced: int = 0

    def unmet(self, batch: Sequence[ImportRow]) -> dict[tuple[str, str], ImportRow]:
        """The batch's spellings not met yet, each with its first row (no database asked)."""
        new: dict[tuple[str, str], ImportRow] = {}
        known = self.keys
        last: ImportRow | None = None
        for r in batch:
            # A file's rows come account by account: the same two strings as the row before.
            if last is not None and r.handle is last.handle and r.platform is last.platform:
                continue
            last = r
            if (r.platform, r.handle) not in known:
                new.setdefault((r.platform, r.handle), r)
        return new

    def meet(self, new: dict[tuple[str, str], ImportRow]) -> None:
        """Know the accounts of ``unmet``'s spellings: created unscheduled if new, each id once."""
        if not new:
            return
        keys: list[Key] = [(p, h, REGISTRY[p].handle_any_case(h)) for p, h in new]
        found = resolve_accounts(self.session.connection(), keys, self.now)
        for (platform, handle), row in new.items():
            account_id, busy = found[(platform, handle)]
            # A handle spelt another way may be an account already met: one state for both.
            account = self.accounts.get(account_id)
            if account is None:
                at = row.captured_at
                account = _Account(account_id, f"{platform}:{handle}", not busy, at, at, 0)
                self.accounts[account_id] = account
            self.keys[(platform, handle)] = account


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
    with Session(engine) as session, Sink(session.connection()) as sink:
        connection = session.connection()
        job = _Import(session, sink, now, replace, last_snapshot_id(connection))
        # The next batch is parsed and built while the database takes the last one
        # (``Sink.send``, a thread on PostgreSQL): the connection is the writer's until ``wait``.
        with paused():
            for batch in _batches(stream):
                new = job.unmet(batch)
                sink.wait()
                job.meet(new)
                sink.send()
                _write(job, stream, batch)
        for line, first, account_id, at in job.sink.duplicates(after_id=job.after_id):
            of = f"line {first}" if first is not None else "an earlier line"
            stream.reject(line, _duplicate(job.accounts[account_id].key, at, of))
        stream.finish()  # raises on any problem: the session closes without a commit
        added = job.written + job.sink.merge()
        _identify(connection, job.accounts.values())
        unsettled = [a for a in job.accounts.values() if not a.settled]
        _gate(connection, settings, unsettled, now)
        flagged = _flagged(connection, job.sink, unsettled)
        trusted = 0
        if trust is not None and flagged:
            trusted = _trust(connection, [(a.id, at) for a, at, _ in flagged], trust)
            _gate(connection, settings, unsettled, now)
            flagged = []
        job.sink.close()
        suspect = [(a.key, at, followers) for a, at, followers in flagged]
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
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def _write(job: _Import, stream: RowStream, batch: list[ImportRow]) -> None:
    """Hand one batch (its accounts met) to the sink: straight in what provably meets no stored
    row, the rest staged."""
    direct: list[Row] = []
    staged: list[Staged] = []
    keys = job.keys
    account: _Account | None = None
    platform_was = handle_was = ""
    # The hot loop of an import: each row unpacked once and its account's state updated inline
    # (no call a row), 1.3-1.4 against 1.9-2.6 us a row (docs/development.md, ninth session).
    for row in batch:
        line, platform, handle, at, followers, following, posts, precision = row[:8]
        source, quality, platform_id = row[8:]
        # A file's rows come account by account: the same two strings as the row before.
        if account is None or handle is not handle_was or platform is not platform_was:
            account = keys[(platform, handle)]
            platform_was, handle_was = platform, handle
        if account.last_line:
            if account.ordered:
                if at == account.last:
                    of = f"line {account.last_line}"
                    stream.reject(line, _duplicate(f"{platform}:{handle}", at, of))
                    continue
                account.ordered = at > account.last
            if at > account.last:
                account.last = at
            elif at < account.first:
                account.first = at
        account.last_line = line
        if followers is not None:
            before = account.count
            if before is not None and (is_drop(before, followers) or is_drop(followers, before)):
                account.calm = False
            account.count = followers
        if quality is not None or source is not Source.IMPORT or platform_id is not None:
            _note_given(account, at, quality, platform_id)
        given = _IMPORT if source is Source.IMPORT else str(source)
        judged = _OK if quality is None else str(quality)
        values: Row = (account.id, at, followers, following, posts, precision, given, judged)
        if account.fresh and account.ordered:
            direct.append(values)
        else:
            staged.append((line, values))
    if job.replace is not None and staged:
        _replace(job, staged, job.replace)
    job.sink.hold(direct, staged)
    job.written += len(direct)


def _replace(job: _Import, staged: Sequence[Staged], audit: Audit) -> None:
    """``--replace``: overwrite stored rows the staged ones meet where their values differ."""
    job.sink.wait()  # the connection back from the writer first
    rows = [{**dict(zip(_FIELDS, values, strict=True)), "extra": None} for _, values in staged]
    job.replaced += replace_existing(job.session.connection(), rows, audit)


def _note_given(
    account: _Account, at: datetime, quality: Quality | None, platform_id: str | None
) -> None:
    """Remember an exported row's quality (the gate then judges the account) and stable id."""
    if quality not in (None, Quality.OK):
        account.calm = False
        account.given[at] = Quality(quality)
    if account.platform_id is None:
        account.platform_id = platform_id


def _duplicate(key: str, at: datetime, of: str) -> str:
    """``duplicate of line 2: x:dgsn at 2021-12-31T22:59:59.999999Z``."""
    when = at.isoformat().replace("+00:00", "Z")
    return f"duplicate of {of}: {key} at {when}"


def _identify(connection: Connection, accounts: Iterable[_Account]) -> None:
    """Give each account the stable id the file gave first, unless it has one already."""
    for account in accounts:
        if account.platform_id is not None:
            set_platform_id(connection, account.id, account.platform_id)


def _flagged(
    connection: Connection, sink: Sink, accounts: Sequence[_Account]
) -> list[tuple[_Account, datetime, int | None]]:
    """The file's rows now suspect that the file did not call so: (account, instant, count)."""
    flagged = []
    for account in sorted(accounts, key=lambda a: a.id):
        found = suspect_between(connection, account.id, account.first, account.last)
        given = _given_suspect(account)
        candidates = {at: n for at, n in found.items() if at not in given}
        if not account.fresh:  # stored rows in its range may be no row of the file
            mine = sink.staged_instants(account.id, list(candidates))
            candidates = {at: n for at, n in candidates.items() if at in mine}
        flagged += [(account, at, n) for at, n in sorted(candidates.items())]
    return flagged


def _gate(
    connection: Connection, settings: Settings, accounts: Sequence[_Account], now: datetime
) -> None:
    """Judge each account from its earliest imported row on; keep the qualities the file gave."""
    since = {account.id: account.first for account in accounts}
    changes = judging.rejudge_many(connection, since, confirm_after=settings.confirm_drop_after)
    pinned = {}
    for account in accounts:
        # An exported suspect (or confirmed) row keeps its quality: the gate is told by hand.
        found = changes[account.id]
        kept = {at: q for at, q in account.given.items() if found.get(at, q) != q}
        if kept:
            audit = Audit("bot import (quality column)", None, now)
            _pin(connection, account.id, kept, audit)
            pinned[account.id] = account.first
    if pinned:
        judging.rejudge_many(connection, pinned, confirm_after=settings.confirm_drop_after)


def _given_suspect(account: _Account) -> set[datetime]:
    """The instants the file itself calls suspect: not news to report."""
    return {at for at, quality in account.given.items() if quality == Quality.SUSPECT}


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
