"""Account rows: the config's as stored, finding them by platform and handle, listing them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.config import Settings
from bot.errors import UnknownAccountError
from bot.kinds import AccountStatus
from bot.store.declared import sync_declared
from bot.store.models import Account


def sync_accounts(session: Session, settings: Settings, now: datetime) -> list[Account]:
    """Apply the config's declared accounts (``bot.store.declared``), then return them as stored.

    For tests, the demo and benchmarks, which want the rows; a command calls ``sync_declared``,
    which loads nothing. A configured handle that differs only in case from a stored one, on a
    platform that treats them as one, is that account: the spelling stored first stays.
    """
    sync_declared(session.connection(), settings, now)
    session.commit()
    stored = session.exec(select(Account).order_by(col(Account.id))).all()
    exact = {(a.platform, a.handle): a for a in stored}
    folded: dict[tuple[str, str], Account] = {}
    for account in stored:
        folded.setdefault((account.platform, account.handle.lower()), account)
    configured = []
    for entry in settings.accounts:
        found = exact.get((entry.platform, entry.handle))
        if found is None and entry.any_case:
            found = folded.get((entry.platform, entry.handle.lower()))
        if found is not None:
            configured.append(found)
    return configured


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
