"""``bot import``: a validated history file written in one transaction, idempotently.

Imported rows pass the same quality gate as polled ones (bot/quality.py), judged against their
neighbours on both sides once they are in place: a suspect one is kept as ``suspect`` and left
out of every figure; ``trust`` stores it as ``ok`` instead (recorded as a ``mark_ok``
correction, so the gate leaves it so). A row exported as ``suspect`` or ``confirmed_drop``
keeps that quality the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlmodel import Session

from bot.config import Settings
from bot.io.mapped import ColumnMap, read_mapped_file
from bot.io.native import ImportRow, read_import_file
from bot.kinds import CorrectionAction, Quality
from bot.platforms import REGISTRY
from bot.store import judging
from bot.store.accounts import get_or_create
from bot.store.corrections import Audit, Change, apply, stored_snapshots
from bot.store.tables import chunks
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
    """Per account: the earliest imported instant and the qualities the file gives."""

    first: datetime
    given: dict[datetime, Quality] = field(default_factory=dict)
    instants: set[datetime] = field(default_factory=set)


def import_history(
    engine: Engine,
    settings: Settings,
    path: Path,
    now: datetime,
    mapping: ColumnMap | None = None,
    replace: Audit | None = None,
    trust: Audit | None = None,
) -> ImportCounts:
    """Import ``path``. Re-importing adds nothing; ``replace`` overwrites values that differ."""
    if mapping is not None:
        rows = read_mapped_file(path, mapping, tz=settings.timezone, normalize=_normalize, now=now)
    else:
        rows = read_import_file(
            path, tz=settings.timezone, platforms=REGISTRY, normalize=_normalize, now=now
        )
    with Session(engine) as session:
        ids: dict[tuple[str, str], int] = {}
        for key in sorted({(r.platform, r.handle) for r in rows}):
            account = get_or_create(session, key[0], key[1], now)
            ids[key] = account.id or 0
        connection = session.connection()
        # Counting before and after is cheaper than RETURNING every new id on PostgreSQL.
        before = count_snapshots(connection, list(ids.values()))
        replaced = 0
        spans: dict[int, _Span] = {}
        for batch in chunks(rows, BATCH):
            replaced += insert_snapshots(
                connection, [_new(ids[(r.platform, r.handle)], r) for r in batch], replace=replace
            )
            _note(spans, ids, batch)
            for row in batch:
                if row.platform_id is not None:
                    set_platform_id(connection, ids[(row.platform, row.handle)], row.platform_id)
        added = count_snapshots(connection, list(ids.values())) - before
        _gate(connection, settings, spans, now)
        keys = {account_id: f"{p}:{h}" for (p, h), account_id in ids.items()}
        flagged = judging.suspect_instants(connection, list(ids.values()))
        new = sorted(
            (account_id, at)
            for account_id, at in flagged
            if at in spans[account_id].instants and at not in _given_suspect(spans[account_id])
        )
        trusted = 0
        if trust is not None and new:
            trusted = _trust(connection, new, trust)
            _gate(connection, settings, spans, now)
            new = []
        suspect = [(keys[account_id], at, flagged[(account_id, at)]) for account_id, at in new]
        session.commit()
    return ImportCounts(len(rows), added, replaced, suspect, trusted)


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
        span = spans.setdefault(account_id, _Span(row.captured_at))
        span.first = min(span.first, row.captured_at)
        span.instants.add(row.captured_at)
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
