"""Account rows: syncing them from the config, finding them by platform and handle."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.config import AccountSettings, Settings
from bot.errors import UnknownAccountError
from bot.kinds import AccountStatus
from bot.store.models import Account
from bot.store.tables import ACCOUNT, insert_new


def _key(platform: str, handle: str, any_case: bool) -> tuple[str, str]:
    """What identifies an account: its handle in any case where the platform says so."""
    return (platform, handle.lower() if any_case else handle)


def sync_accounts(session: Session, settings: Settings, now: datetime) -> list[Account]:
    """Make the account table match the config: add new accounts, mark removed ones.

    An account taken out of the config becomes ``removed``: its history stays, it is never
    polled and listings leave it out unless asked; configured again, it is live again with that
    history. (A changed interval is applied at daemon start: bot.daemon.scheduler.) A configured
    handle that differs only in case from a stored one, on a platform that treats them as one,
    is that account: the spelling stored first stays.
    """
    _insert_missing(session, settings, now)
    stored = session.exec(select(Account).order_by(col(Account.id))).all()
    existing = {(a.platform, a.handle): a for a in stored}
    folded: dict[tuple[str, str], Account] = {}
    for account in stored:
        folded.setdefault(_key(account.platform, account.handle, True), account)
    configured: list[Account] = []
    wanted: set[int] = set()
    for entry in settings.accounts:
        found = existing.get((entry.platform, entry.handle))
        if found is None and entry.any_case:
            found = folded.get(_key(entry.platform, entry.handle, True))
        if found is None:
            found = Account(platform=entry.platform, handle=entry.handle, created_at=now)
            session.add(found)
        account = found
        _apply_config(account, entry, now)
        configured.append(account)
        if account.id is not None:
            wanted.add(account.id)
    for account in stored:
        if account.id not in wanted:
            _retire(account)
            session.add(account)
    session.commit()
    return configured


def _retire(account: Account) -> None:
    """Unschedule an account the config no longer names; ``removed`` if it was ever live."""
    # An account only ever imported (never scheduled, never polled) was not in the config:
    # it is not "removed" and stays in listings.
    if account.next_poll_at is not None or account.last_polled_at is not None:
        account.status = AccountStatus.REMOVED
    account.next_poll_at = None


def _insert_missing(session: Session, settings: Settings, now: datetime) -> None:
    """Insert configured accounts not stored yet; a worker starting alongside may race us."""
    pairs = session.exec(select(Account.platform, Account.handle)).all()
    exact = {_key(platform, handle, False) for platform, handle in pairs}
    folded = {_key(platform, handle, True) for platform, handle in pairs}
    rows = [
        {
            "platform": entry.platform,
            "handle": entry.handle,
            "groups": list(entry.groups),
            "status": AccountStatus.ACTIVE,
            "created_at": now,
            "next_poll_at": now,
        }
        for entry in settings.accounts
        if _key(entry.platform, entry.handle, entry.any_case)
        not in (folded if entry.any_case else exact)
    ]
    if not rows:
        return
    connection = session.connection()
    connection.execute(insert_new(connection.dialect, ACCOUNT, unique=["platform", "handle"]), rows)
    session.commit()


def _apply_config(account: Account, entry: AccountSettings, now: datetime) -> None:
    """Copy label and groups; a newly configured (or re-added) account is due at once."""
    account.label = entry.label
    account.groups = list(entry.groups)
    if account.status in (AccountStatus.PAUSED, AccountStatus.REMOVED):
        account.status = AccountStatus.ACTIVE
    if account.next_poll_at is None:
        account.next_poll_at = now


def _stored(session: Session, platform: str, handle: str, any_case: bool) -> Account | None:
    """The account spelt ``handle``, else (``any_case``) the first stored in another case."""
    account = session.exec(
        select(Account).where(Account.platform == platform, Account.handle == handle)
    ).first()
    if account is None and any_case:
        # Equality on lower(): ``%`` and ``_`` in a handle are characters, never wildcards.
        account = session.exec(
            select(Account)
            .where(Account.platform == platform, func.lower(Account.handle) == handle.lower())
            .order_by(col(Account.id))
        ).first()
    return account


def find_account(
    session: Session, *, platform: str, handle: str, any_case: bool = False
) -> Account:
    """The stored account, matched exactly (``any_case``: in any case), or an error."""
    account = _stored(session, platform, handle, any_case)
    if account is None:
        raise UnknownAccountError(f"unknown account {platform}:{handle} (see `bot accounts`)")
    return account


def get_or_create(
    session: Session, platform: str, handle: str, now: datetime, *, any_case: bool = False
) -> Account:
    """The account row for an imported history, created unscheduled if it is new."""
    account = _stored(session, platform, handle, any_case)
    if account is None:
        account = Account(platform=platform, handle=handle, created_at=now, next_poll_at=None)
        session.add(account)
        session.flush()
    return account


def all_accounts(
    session: Session, group: str | None = None, *, removed: bool = False
) -> Sequence[Account]:
    """Stored accounts by platform and handle: one group only, ``removed`` ones if asked."""
    statement = select(Account).order_by(col(Account.platform), col(Account.handle))
    if not removed:
        statement = statement.where(Account.status != AccountStatus.REMOVED)
    rows = session.exec(statement).all()
    if group is None:
        return rows
    return [a for a in rows if group in (a.groups or [])]


def scheduled_accounts(
    session: Session, *, now: datetime, platform: str | None = None, everything: bool = False
) -> list[Account]:
    """Scheduled, unpaused accounts by id: the due ones at ``now``, or ``everything`` scheduled."""
    statement = select(Account).where(col(Account.next_poll_at).is_not(None))
    if not everything:
        statement = statement.where(col(Account.next_poll_at) <= now)
    if platform:
        statement = statement.where(Account.platform == platform)
    statement = statement.where(Account.status != AccountStatus.PAUSED).order_by(col(Account.id))
    return list(session.exec(statement).all())
