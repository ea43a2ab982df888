"""``bot correct`` and ``bot corrections``: the snapshot ``--at`` names, the change, the trail.

The snapshot is found, changed and the change recorded in one transaction; what the command
prints is built here, so a face only renders it.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine
from sqlmodel import Session

from bot.kinds import CorrectionAction
from bot.output.tables import Column
from bot.output.text import Spelling, account_key, iso, number
from bot.query.accounts import account_by_key
from bot.query.contract import CorrectionsRow
from bot.query.words import SnapshotTime
from bot.store import corrections as store
from bot.store.corrections import Audit, Change, CorrectionRecord, StoredSnapshot

# A day with more snapshots than this lists the first ones only.
_SHOWN = 5
_COUNTS = ("followers", "following", "posts")

TABLE_COLUMNS = (
    Column("id", "ID", numeric=True),
    Column("at", "Made (UTC)"),
    Column("account", "Account"),
    Column("target", "Snapshot (UTC) or span"),
    Column("action", "Action"),
    Column("field", "Field"),
    Column("old", "Old"),
    Column("new", "New"),
    Column("origin", "Command"),
    Column("actor", "By"),
    Column("undone_at", "Undone (UTC)"),
)
CSV_COLUMNS = tuple(
    Column(key, key)
    for key in (
        "id", "platform", "handle", "captured_at", "from", "to", "action", "field",
        "old", "new", "origin", "actor", "at", "undone_at",
    )
)  # fmt: skip


def correct(
    engine: Engine,
    key: str,
    when: SnapshotTime,
    change: Change,
    audit: Audit,
    *,
    tz: ZoneInfo,
    spell: Spelling,
) -> str:
    """Make ``change`` to the one snapshot ``when`` names; what was done, in one line."""
    with Session(engine) as session:
        account = account_by_key(session, key)
    name = account_key(account.platform, account.handle)
    with engine.begin() as connection:
        target = _one_snapshot(connection, account.id or 0, name, when, tz, spell)
        correction_id = store.apply(connection, target, change, audit)
    where = f"{name} at {iso(target.captured_at)}"
    if correction_id is None:
        return f"nothing to change: {where} {_already(change)}"
    return (
        f"correction {correction_id}: {where}: {_done(change, target)}"
        f" (undo: bot correct --undo {correction_id})"
    )


def undo(engine: Engine, correction_id: int, audit: Audit, *, spell: Spelling) -> str:
    """Put back what correction ``correction_id`` changed; what was done, in one line."""
    with engine.begin() as connection:
        record = store.get(connection, correction_id)
        if record is None:
            raise spell.error("undo", f"no correction {correction_id} (see `bot corrections`)")
        if record.undone_at is not None:
            when = iso(record.undone_at)
            raise spell.error("undo", f"correction {correction_id} was already undone on {when}")
        later = store.later_change(connection, record)
        if later is not None:
            same = "figure" if record.figure_id is not None else "snapshot"
            raise spell.error(
                "undo",
                f"correction {later} changed the same {same} after correction {correction_id}:"
                f" undo {later} first",
            )
        if not store.undo(connection, record, at=audit.at):
            raise spell.error(
                "undo", f"correction {correction_id} cannot be undone: {_gone(record)}"
            )
    return f"correction {correction_id} undone: {_target(record)}: {_restored(record)}"


def correction_rows(engine: Engine, key: str | None = None) -> list[CorrectionsRow]:
    """The audit trail (of one account), oldest first."""
    with Session(engine) as session:
        account_id = account_by_key(session, key).id if key is not None else None
        records = store.listing(session.connection(), account_id)
    return [
        {
            "id": r.id,
            "platform": r.platform,
            "handle": r.handle,
            "captured_at": r.captured_at,
            "from": r.from_date,
            "to": r.to_date,
            "action": r.action,
            "field": r.field,
            "old": r.old,
            "new": r.new,
            "origin": r.origin,
            "actor": r.actor,
            "at": r.at,
            "undone_at": r.undone_at,
        }
        for r in records
    ]


def flat_rows(rows: list[CorrectionsRow]) -> list[dict[str, Any]]:
    """The trail for a table or CSV: old and new values as text, the target in one cell."""
    flat = []
    for row in rows:
        span = f"{row['from']}..{row['to']}" if row["from"] is not None else None
        flat.append(
            {
                **row,
                "account": account_key(row["platform"], row["handle"]),
                "target": row["captured_at"] or span,
                "old": _text(row["old"]),
                "new": _text(row["new"]),
            }
        )
    return flat


def _one_snapshot(
    connection: Connection,
    account_id: int,
    name: str,
    when: SnapshotTime,
    tz: ZoneInfo,
    spell: Spelling,
) -> StoredSnapshot:
    """The one snapshot at the instant or on the day; else say which there are."""
    found = store.stored_snapshots(
        connection, account_id, first=when.first, last=when.last, lock=True
    )
    if len(found) == 1:
        return found[0]
    where = f"on {when.day.isoformat()} ({tz.key})" if when.day else f"at {iso(when.first)}"
    if not found:
        near = store.neighbours(connection, account_id, first=when.first, last=when.last)
        shown = ", ".join(iso(s.captured_at) for s in near)
        hint = f"the nearest {'is' if len(near) == 1 else 'are'} {shown}" if near else "it has none"
        raise spell.error("at", f"{name} has no snapshot {where}; {hint}")
    listed = ", ".join(iso(s.captured_at) for s in found[:_SHOWN])
    more = f" and {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
    raise spell.error(
        "at",
        f"{name} has {len(found)} snapshots {where}: {listed}{more};"
        f" give one of them as {spell.name('at')}",
    )


def _already(change: Change) -> str:
    """Why a change changes nothing."""
    if change.field == "quality":
        return f"is already {change.value}"
    return f"already has {change.field} {number(change.value)}"


def _done(change: Change, before: StoredSnapshot) -> str:
    """``followers 317,074 -> 317,075``, ``quality ok -> suspect`` or ``deleted (…)``."""
    if change.action == CorrectionAction.DELETE:
        return f"deleted ({_summary(before.values())})"
    return f"{change.field} {_value(getattr(before, change.field))} -> {_value(change.value)}"


def _restored(record: CorrectionRecord) -> str:
    """What an undo put back."""
    if record.action == CorrectionAction.DELETE:
        return f"snapshot restored ({_summary(record.old)})"
    if record.action == CorrectionAction.REPLACE and isinstance(record.old, dict):
        return f"snapshot back to ({_summary(record.old)})"
    return f"{record.field} back to {_value(record.old)}"


def _target(record: CorrectionRecord) -> str:
    """``x:DGSN_MAROC at 2021-12-30T23:00:00Z`` or ``… for 2021-01-01..2021-12-31``."""
    name = account_key(record.platform, record.handle)
    if record.captured_at is not None:
        return f"{name} at {iso(record.captured_at)}"
    return f"{name} for {record.from_date}..{record.to_date}"


def _gone(record: CorrectionRecord) -> str:
    """Why an undo could not be made."""
    if record.action == CorrectionAction.DELETE:
        return f"{_target(record)} is taken by another snapshot again (correct that one instead)"
    return f"{_target(record)} is no longer stored"


def _summary(values: Any) -> str:
    """``317,074 followers, 322 following, 11,315 posts, ok``."""
    counts = [f"{number(values[n])} {n}" for n in _COUNTS if values.get(n) is not None]
    return ", ".join([*counts, str(values.get("quality"))])


def _value(value: Any) -> str:
    """A count with separators; a word as it is."""
    return number(value) if isinstance(value, int) else str(value)


def _text(value: Any) -> str | None:
    """An audit value in one cell: ``followers=317074 posts=11315 …`` for a whole row."""
    if isinstance(value, dict):
        return " ".join(f"{k}={v}" for k, v in value.items() if v is not None)
    return None if value is None else str(value)
