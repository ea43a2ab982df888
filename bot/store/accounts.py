"""Account rows: syncing them from the config, finding them by ``platform:handle``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.config import AccountSettings, Settings
from bot.errors import UnknownAccountError
from bot.platforms import REGISTRY
from bot.store.models import Account


def sync_accounts(session: Session, settings: Settings, now: datetime) -> list[Account]:
    """Make the account table match the config: add new accounts, unschedule removed ones."""
    _insert_missing(session, settings, now)
    existing = {(a.platform, a.handle): a for a in session.exec(select(Account)).all()}
    configured: list[Account] = []
    wanted: set[tuple[str, str]] = set()
    for entry in settings.accounts:
        wanted.add((entry.platform, entry.handle))
        account = existing.get((entry.platform, entry.handle))
        if account is None:
            account = Account(platform=entry.platform, handle=entry.handle, created_at=now)
            session.add(account)
        _apply_config(account, entry, now)
        configured.append(account)
    for key, account in existing.items():
        # Accounts no longer configured keep their history but are no longer polled.
        if key not in wanted and account.next_poll_at is not None:
            account.next_poll_at = None
            session.add(account)
    session.commit()
    return configured


def _insert_missing(session: Session, settings: Settings, now: datetime) -> None:
    """Insert configured accounts not stored yet; a worker starting alongside may race us."""
    stored = set(session.exec(select(Account.platform, Account.handle)).all())
    rows = [
        {
            "platform": entry.platform,
            "handle": entry.handle,
            "groups": list(entry.groups),
            "status": "active",
            "created_at": now,
            "next_poll_at": now,
        }
        for entry in settings.accounts
        if (entry.platform, entry.handle) not in stored
    ]
    if not rows:
        return
    connection = session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    table = Account.__table__  # type: ignore[attr-defined]
    connection.execute(
        insert(table).on_conflict_do_nothing(index_elements=["platform", "handle"]), rows
    )
    session.commit()


def _apply_config(account: Account, entry: AccountSettings, now: datetime) -> None:
    """Copy label and groups; a newly configured account is due at once."""
    account.label = entry.label
    account.groups = list(entry.groups)
    if account.next_poll_at is None:
        account.next_poll_at = now
    if account.status == "paused":
        account.status = "active"


def split_key(key: str) -> tuple[str, str]:
    """``platform:handle`` -> (platform, normalised handle), or ``UnknownAccountError``."""
    platform, sep, handle = key.partition(":")
    if not sep or not handle:
        raise UnknownAccountError(
            f"account {key!r}: expected PLATFORM:HANDLE, e.g. bluesky:bsky.app"
        )
    platform = platform.strip().lower()
    if platform not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise UnknownAccountError(
            f"account {key!r}: unknown platform {platform!r} (known: {known})"
        )
    try:
        return platform, REGISTRY[platform].normalize_handle(handle)
    except ValueError as exc:
        raise UnknownAccountError(f"account {key!r}: {exc}") from None


def find_account(session: Session, key: str) -> Account:
    """The stored account for ``platform:handle``, or a clear ``UnknownAccountError``."""
    platform, handle = split_key(key)
    account = session.exec(
        select(Account).where(Account.platform == platform, Account.handle == handle)
    ).first()
    if account is None:
        account = session.exec(
            select(Account).where(Account.platform == platform, col(Account.handle).ilike(handle))
        ).first()
    if account is None:
        raise UnknownAccountError(f"unknown account {platform}:{handle} (see `bot accounts`)")
    return account


def find_accounts(session: Session, keys: Iterable[str]) -> list[Account]:
    """Several accounts by key, failing on the first unknown one."""
    return [find_account(session, key) for key in keys]


def get_or_create(session: Session, platform: str, handle: str, now: datetime) -> Account:
    """The account row for an imported history, created unscheduled if it is new."""
    account = session.exec(
        select(Account).where(Account.platform == platform, Account.handle == handle)
    ).first()
    if account is None:
        account = Account(platform=platform, handle=handle, created_at=now, next_poll_at=None)
        session.add(account)
        session.flush()
    return account


def all_accounts(session: Session, group: str | None = None) -> Sequence[Account]:
    """Every stored account, ordered by platform and handle, optionally one group only."""
    rows = session.exec(select(Account).order_by(col(Account.platform), col(Account.handle))).all()
    if group is None:
        return rows
    return [a for a in rows if group in (a.groups or [])]
