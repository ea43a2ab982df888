"""The rules of ``bot accounts add|remove|pause|resume|import``: who may change which account.

The config file is authoritative for the accounts it declares (``[[accounts]]``): the command
line cannot add or remove those (edit the file), and a file that comes to declare an account
added on the command line takes it over. Pause and resume work for every account.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine

from bot.config import AccountSettings, Settings
from bot.errors import InputError, UnknownAccountError
from bot.io.account_csv import check_entry
from bot.kinds import AccountOrigin, AccountStatus
from bot.platforms import REGISTRY
from bot.query.accounts import split_key
from bot.store import managed
from bot.store.managed import Row

# How ``bot accounts add`` names a field in an error.
_OPTION_NAMES = {
    "platform": "ACCOUNT",
    "handle": "ACCOUNT",
    "label": "--label",
    "groups": "--group",
    "interval": "--interval",
}


def declaration(
    key: str, *, label: str | None, groups: Sequence[str], interval: str | None, where: str
) -> AccountSettings:
    """``PLATFORM:HANDLE`` and its options, checked by the config's own rules."""
    platform, sep, handle = key.partition(":")
    if not sep or not handle.strip():
        raise InputError(f"{where}: ACCOUNT: expected PLATFORM:HANDLE, e.g. bluesky:bsky.app")
    fields = {
        "platform": platform.strip().lower(),
        "handle": handle,
        "label": label,
        "groups": list(groups),
        "interval": interval,
    }
    return check_entry(fields, where, lambda field: _OPTION_NAMES.get(field, field))


def _declared_error(row: Row, settings: Settings, verb: str) -> InputError:
    """The refusal to change an account the config file declares."""
    where = settings.config_path or "the config file"
    return InputError(
        f"{row.platform}:{row.handle} is declared in {where}: {verb} it in [[accounts]] there"
    )


def add(engine: Engine, settings: Settings, entry: AccountSettings, now: datetime) -> str:
    """Add one account (or bring back a removed one), due at once; the line to print."""
    with engine.begin() as connection:
        row = managed.find_row(connection, entry.platform, entry.handle, entry.any_case)
        if row is None:
            managed.insert_accounts(connection, [entry], AccountOrigin.CLI, now)
            return f"added {entry.key}"
        if row.declared:
            raise _declared_error(row, settings, "change")
        if row.origin is not None and row.status != AccountStatus.REMOVED:
            raise InputError(
                f"{row.platform}:{row.handle} is already added (remove it first to start over)"
            )
        managed.redeclare(connection, [(row.id, entry)], AccountOrigin.CLI, now)
        return f"added {row.platform}:{row.handle}"


def _row(connection: Connection, key: str) -> Row:
    """The stored account ``platform:handle`` names, or ``UnknownAccountError``."""
    platform, handle = split_key(key)
    row = managed.find_row(connection, platform, handle, REGISTRY[platform].handle_any_case(handle))
    if row is None:
        raise UnknownAccountError(f"unknown account {platform}:{handle} (see `bot accounts`)")
    return row


def remove(engine: Engine, settings: Settings, key: str) -> str:
    """Stop polling an account for good; its history stays (``bot accounts --all``)."""
    with engine.begin() as connection:
        row = _row(connection, key)
        name = f"{row.platform}:{row.handle}"
        if row.declared:
            raise _declared_error(row, settings, "remove")
        if row.status == AccountStatus.REMOVED:
            return f"{name} was already removed"
        managed.retire(connection, row.id)
        return f"removed {name} (history kept: `bot accounts --all` lists it)"


def pause(engine: Engine, key: str) -> str:
    """Stop polling an account until ``bot accounts resume``."""
    with engine.begin() as connection:
        row = _row(connection, key)
        name = f"{row.platform}:{row.handle}"
        if row.status == AccountStatus.REMOVED:
            raise InputError(f"{name} is removed: add it again instead")
        if row.status == AccountStatus.PAUSED:
            return f"{name} was already paused"
        managed.pause(connection, row.id)
        return f"paused {name}"


def resume(engine: Engine, key: str, now: datetime) -> str:
    """Poll a paused account again."""
    with engine.begin() as connection:
        row = _row(connection, key)
        name = f"{row.platform}:{row.handle}"
        if row.status != AccountStatus.PAUSED:
            return f"{name} is not paused ({row.status})"
        managed.resume(connection, row.id, now)
        return f"resumed {name}"


@dataclass(frozen=True)
class Imported:
    """What ``bot accounts import`` did."""

    added: int
    updated: int


def import_entries(
    engine: Engine,
    settings: Settings,
    entries: Sequence[tuple[str, AccountSettings]],
    now: datetime,
) -> Imported | list[str]:
    """Store checked ``(where, entry)`` pairs in one transaction, or the problems (nothing stored).

    An account already stored (added or imported before, or removed) takes the file's label,
    groups and interval; one the config file declares is a problem, as is a second row for the
    same account (in any case, where the platform says so).
    """
    with engine.begin() as connection:
        rows = managed.every_row(connection)
        exact = {(r.platform, r.handle): r for r in rows}
        folded: dict[tuple[str, str], Row] = {}
        for stored in rows:
            folded.setdefault((stored.platform, stored.handle.lower()), stored)
        problems: list[str] = []
        seen: dict[tuple[str, str], str] = {}
        new: list[AccountSettings] = []
        known: list[tuple[int, AccountSettings]] = []
        for where, entry in entries:
            identity = (entry.platform, entry.handle.lower() if entry.any_case else entry.handle)
            if identity in seen:
                problems.append(f"{where}: {entry.key} again (first at {seen[identity]})")
                continue
            seen[identity] = where
            row: Row | None = exact.get((entry.platform, entry.handle))
            if row is None and entry.any_case:
                row = folded.get(identity)
            if row is not None and row.declared:
                problems.append(f"{where}: {entry.key} is declared in the config file")
            elif row is None:
                new.append(entry)
            else:
                known.append((row.id, entry))
        if problems:
            return problems
        managed.insert_accounts(connection, new, AccountOrigin.IMPORT, now)
        managed.redeclare(connection, known, AccountOrigin.IMPORT, now)
    return Imported(added=len(new), updated=len(known))
