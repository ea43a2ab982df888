"""The config's ``[[accounts]]`` as a declared set: applied only when it changed, as a diff.

The hash of the declared entries is kept in ``store_state``. A command whose config declares the
same set as last time reads that one row and does nothing else. Otherwise the difference is
applied with set-based statements, in chunks, and no ORM object per account: new accounts are
inserted, changed labels, groups and intervals updated, and config accounts no longer declared
retired (``removed``: history kept, never polled, listed only with ``--all``). Accounts added
with ``bot accounts add`` or ``import`` are never retired by the file; one the file declares
belongs to the file from then on.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, case, delete, make_url, select, update
from sqlalchemy.exc import SQLAlchemyError

from bot.config import AccountSettings, Settings
from bot.config.source import DeferredAccounts
from bot.errors import ConfigError
from bot.kinds import AccountOrigin, AccountStatus
from bot.store.db import make_engine
from bot.store.managed import insert_accounts, redeclare
from bot.store.tables import ACCOUNT, STORE_STATE, chunks, insert_new

log = logging.getLogger(__name__)

HASH_KEY = "declared_accounts"
# The config file whose declared set was applied: "<fingerprint> <hash version> <declared hash>".
SOURCE_KEY = "declared_source"
# Bumped when what the hash covers, or how a declared entry is applied, changes.
_HASH_VERSION = "1"
_NONE, _GROUPS = "\x00", "\x1e"


@dataclass(frozen=True)
class SyncResult:
    """What a sync did: nothing (``unchanged``), or how many accounts it added, changed, retired."""

    unchanged: bool
    added: int = 0
    changed: int = 0
    retired: int = 0
    # The hash of the declared set now stored (for ``remember_source``).
    digest: str = field(default="", compare=False)


def declared_hash(accounts: Sequence[AccountSettings]) -> str:
    """A hash of what the store keeps of the declared accounts, in their order."""
    # Only the entries: the default interval is applied when read (bot.intervals), never stored,
    # so a changed ``bot.poll_interval`` changes no row. Order matters: the first spelling wins.
    # Fields are joined by control characters, which no handle, label or group may hold (the
    # config refuses them), and NUL stands for "none": one string, hashed at once.
    text = "\n".join(
        f"{a.platform}\x1f{a.handle}\x1f{_NONE if a.label is None else a.label}"
        f"\x1f{_GROUPS.join(a.groups)}\x1f{_seconds(a)}"
        for a in accounts
    )
    return hashlib.sha256(f"{_HASH_VERSION}\n{text}".encode()).hexdigest()


def _seconds(entry: AccountSettings) -> int | None:
    """The entry's own interval in seconds, or None for the default."""
    return int(entry.interval.total_seconds()) if entry.interval is not None else None


def _state(connection: Connection) -> dict[str, str]:
    """The declared set's hash and the file it came from, as the store keeps them (one SELECT)."""
    rows = connection.execute(
        select(STORE_STATE.c.key, STORE_STATE.c.value).where(
            STORE_STATE.c.key.in_([HASH_KEY, SOURCE_KEY])
        )
    )
    return {row.key: row.value for row in rows}


def trusted_engine(settings: Settings) -> Engine | None:
    """An engine on the store, if it applied this very config file (its head may stand for it).

    Asked before the store is created or migrated, and creating nothing: a store that does not
    exist yet, cannot be reached or has no record yet answers None, and the caller then reads
    and checks the whole file first, as it would without a store. The record names the declared
    set's hash it produced, so a set applied since (another file, another version) makes it stale.
    """
    source = settings.source
    if source is None or not isinstance(settings.accounts, DeferredAccounts):
        return None
    try:
        url = make_url(settings.database_url)
        if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
            return None
        engine = make_engine(settings.database_url)
    except (ConfigError, SQLAlchemyError, ValueError):
        return None
    try:
        with engine.connect() as connection:
            state = _state(connection)
    except SQLAlchemyError:  # unreachable, or no store_state table yet
        engine.dispose()
        return None
    if HASH_KEY in state and state.get(SOURCE_KEY) == _source_record(
        source.fingerprint, state[HASH_KEY]
    ):
        return engine
    engine.dispose()
    return None


def _source_record(fingerprint: str, digest: str) -> str:
    """What ``trusted_engine`` compares: the file, the hash's version and the set applied."""
    return f"{fingerprint} {_HASH_VERSION} {digest}"


def sync_declared(connection: Connection, settings: Settings, now: datetime) -> SyncResult:
    """Apply the config's declared accounts, unless they are what was applied last time."""
    settings = settings.resolved()
    digest = declared_hash(settings.accounts)
    if _state(connection).get(HASH_KEY) == digest:
        return SyncResult(unchanged=True, digest=digest)
    result = _apply(connection, settings, now)
    _remember(connection, HASH_KEY, digest)
    return replace(result, digest=digest)


def remember_source(engine: Engine, settings: Settings, digest: str) -> None:
    """Record that the store applied this config file, when its head can stand for it.

    Its own transaction, after the sync, and never fatal: a store that refuses the write (a
    read-only copy) only means the whole file is read again next time.
    """
    source = settings.source
    record = _source_record(source.fingerprint, digest) if source and source.splits else None
    try:
        with engine.begin() as connection:
            if _state(connection).get(SOURCE_KEY) == record:
                return
            if record is None:
                connection.execute(delete(STORE_STATE).where(STORE_STATE.c.key == SOURCE_KEY))
            else:
                _remember(connection, SOURCE_KEY, record)
    except SQLAlchemyError as exc:
        log.info("could not record the config file applied (%s)", type(exc).__name__)


def _apply(connection: Connection, settings: Settings, now: datetime) -> SyncResult:
    """Apply the declared set as a difference from the stored rows."""
    stored = connection.execute(
        select(
            ACCOUNT.c.id,
            ACCOUNT.c.platform,
            ACCOUNT.c.handle,
            ACCOUNT.c.label,
            ACCOUNT.c.groups,
            ACCOUNT.c.interval_seconds,
            ACCOUNT.c.origin,
            ACCOUNT.c.status,
            ACCOUNT.c.next_poll_at,
        ).order_by(ACCOUNT.c.id)
    ).all()
    plan = _plan(settings.accounts, stored)
    # A worker starting alongside may insert some first: ON CONFLICT DO NOTHING.
    insert_accounts(connection, plan.new, AccountOrigin.CONFIG, now)
    redeclare(connection, plan.changed, AccountOrigin.CONFIG, now)
    _retire(connection, plan.retired)
    return SyncResult(False, len(plan.new), len(plan.changed), len(plan.retired))


@dataclass
class _Plan:
    """The difference between the declared set and the stored rows."""

    new: list[AccountSettings]
    changed: list[tuple[int, AccountSettings]]
    retired: list[int]


def _plan(declared: Sequence[AccountSettings], stored: Sequence[Any]) -> _Plan:
    """Match each declared entry to its row (in any case where the platform says so)."""
    exact = {(row.platform, row.handle): row for row in stored}
    folded: dict[tuple[str, str], Any] = {}
    for row in stored:  # by id: the spelling stored first is the account
        folded.setdefault((row.platform, row.handle.lower()), row)
    plan = _Plan([], [], [])
    matched: set[int] = set()
    for entry in declared:
        row = exact.get((entry.platform, entry.handle))
        if row is None and entry.any_case:
            row = folded.get((entry.platform, entry.handle.lower()))
        if row is None:
            plan.new.append(entry)
            continue
        matched.add(row.id)
        wanted = (entry.label, list(entry.groups), _seconds(entry), AccountOrigin.CONFIG)
        have = (row.label, list(row.groups or []), row.interval_seconds, row.origin)
        if wanted != have or row.status == AccountStatus.REMOVED or row.next_poll_at is None:
            plan.changed.append((row.id, entry))
    # The file's own, and any row nobody declares that is scheduled all the same.
    plan.retired = [
        row.id
        for row in stored
        if row.id not in matched
        and (
            (row.origin == AccountOrigin.CONFIG and row.status != AccountStatus.REMOVED)
            or (row.origin in (None, AccountOrigin.CONFIG) and row.next_poll_at is not None)
        )
    ]
    return plan


def _retire(connection: Connection, ids: Sequence[int]) -> None:
    """Config accounts no longer declared: unscheduled, ``removed`` if they were ever live."""
    # A row only ever imported was never live: it is not "removed" and stays in listings.
    ever_live = ACCOUNT.c.next_poll_at.is_not(None) | ACCOUNT.c.last_polled_at.is_not(None)
    for chunk in chunks(ids):
        connection.execute(
            update(ACCOUNT)
            .where(ACCOUNT.c.id.in_(chunk))
            .values(
                status=case((ever_live, AccountStatus.REMOVED), else_=ACCOUNT.c.status),
                next_poll_at=None,
            )
        )


def _remember(connection: Connection, key: str, value: str) -> None:
    """Store one ``store_state`` value."""
    done = connection.execute(
        update(STORE_STATE).where(STORE_STATE.c.key == key).values(value=value)
    )
    if done.rowcount == 0:
        statement = insert_new(connection.dialect, STORE_STATE, unique=["key"])
        connection.execute(statement, {"key": key, "value": value})
