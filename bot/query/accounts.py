"""The user's ``platform:handle`` -> the stored account (the CLI's and the API's ACCOUNT)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from bot.errors import UnknownAccountError
from bot.platforms import REGISTRY
from bot.store.accounts import find_account
from bot.store.models import Account


def split_key(key: str) -> tuple[str, str]:
    """``platform:handle`` -> (platform, normalised handle), or ``UnknownAccountError``."""
    platform, sep, handle = key.partition(":")
    # A 100 kB argument is not echoed whole.
    shown = repr(key if len(key) <= 80 else f"{key[:80]}…")
    if not sep or not handle:
        raise UnknownAccountError(
            f"account {shown}: expected PLATFORM:HANDLE, e.g. bluesky:bsky.app"
        )
    platform = platform.strip().lower()
    if platform not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise UnknownAccountError(
            f"account {shown}: unknown platform {platform[:40]!r} (known: {known})"
        )
    try:
        return platform, REGISTRY[platform].normalize_handle(handle)
    except ValueError as exc:
        raise UnknownAccountError(f"account {shown}: {exc}") from None


def account_by_key(session: Session, key: str) -> Account:
    """The stored account for ``platform:handle``, or a clear ``UnknownAccountError``."""
    platform, handle = split_key(key)
    any_case = REGISTRY[platform].handle_any_case(handle)
    return find_account(session, platform=platform, handle=handle, any_case=any_case)


def accounts_by_keys(session: Session, keys: Iterable[str]) -> list[Account]:
    """Several accounts by key, failing on the first unknown one."""
    return [account_by_key(session, key) for key in keys]
