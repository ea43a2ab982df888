"""The accounts of the config file: ``[[accounts]]`` entries read and checked, one at a time.

``account_entry`` is also the reader of ``bot accounts add`` and ``bot accounts import``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.config.values import _duration, _no_unknown, _string, _table, _text
from bot.errors import ConfigError
from bot.platforms import REGISTRY

_ACCOUNT_KEYS = {"platform", "handle", "label", "groups", "interval", "options"}


@dataclass(frozen=True)
class AccountSettings:
    """One ``[[accounts]]`` entry."""

    platform: str
    handle: str
    label: str | None = None
    groups: tuple[str, ...] = ()
    interval: timedelta | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    # The platform treats this handle in any case as one account (``HandleRule.any_case``).
    any_case: bool = False

    @property
    def key(self) -> str:
        """``platform:handle``, the identity users type."""
        return f"{self.platform}:{self.handle}"


def _accounts(raw: Any, where: str) -> tuple[AccountSettings, ...]:
    """``[[accounts]]``: known platform, valid handle, no duplicates."""
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: accounts", "expected an array of tables ([[accounts]])")
    accounts: list[AccountSettings] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        key = f"accounts[{index}]"
        entry = _table(item, where, key)
        _no_unknown(entry, _ACCOUNT_KEYS, where, f"{key}.")
        account = account_entry(entry, where, f"{key}.".__add__)
        identity = account.key.lower() if account.any_case else account.key
        if identity in seen:
            raise ConfigError(f"{where}: {key}", f"duplicate account {account.key}")
        seen.add(identity)
        accounts.append(account)
    return tuple(accounts)


def account_entry(
    entry: Mapping[str, Any], where: str, name: Callable[[str], str] = lambda field: field
) -> AccountSettings:
    """One account's fields (platform, handle, label, groups, interval, options), checked.

    The one reader of an account for the config file, ``bot accounts add`` and ``bot accounts
    import``: ``where`` names the file (or command) and ``name`` spells a field for the error.
    """
    platform = _string(entry.get("platform"), where, name("platform"))
    if platform not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise ConfigError(
            f"{where}: {name('platform')}", f"unknown platform {platform!r} (known: {known})"
        )
    try:
        handle = REGISTRY[platform].normalize_handle(
            _string(entry.get("handle"), where, name("handle"))
        )
    except ValueError as exc:
        raise ConfigError(f"{where}: {name('handle')}", str(exc)) from None
    label = entry.get("label")
    if label is not None:
        label = _text(_string(label, where, name("label")), where, name("label"))
    groups = entry.get("groups", [])
    if not isinstance(groups, list | tuple) or not all(isinstance(g, str) and g for g in groups):
        raise ConfigError(f"{where}: {name('groups')}", "expected a list of non-empty strings")
    for group in groups:
        _text(group, where, name("groups"))
    interval = entry.get("interval")
    # Always through the platform, options or not: JSON accounts require a url.
    options = _account_options(platform, entry.get("options", {}), where, name("options"))
    return AccountSettings(
        platform=platform,
        handle=handle,
        label=label,
        groups=tuple(groups),
        interval=_duration(interval, where, name("interval")) if interval is not None else None,
        options=options,
        any_case=REGISTRY[platform].handle_any_case(handle),
    )


def _account_options(platform: str, raw: Any, where: str, key: str) -> dict[str, str]:
    """An account's ``options`` table (``key`` names it), checked by its platform's adapter."""
    table = _table(raw, where, key)
    try:
        return REGISTRY[platform].account_options(table)
    except ValueError as exc:
        raise ConfigError(f"{where}: {key}", str(exc)) from None
