"""``[alerts]``: which immediate alerts the daemon raises, with group and account overrides."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from bot.config.values import _boolean, _duration, _no_unknown, _off_or_positive, _table
from bot.errors import ConfigError
from bot.platforms import REGISTRY


@dataclass(frozen=True)
class AlertRules:
    """The alert rules applying to one account (``[alerts]`` with its group/account overrides)."""

    enabled: bool = True
    # not_found / suspended, and the way back.
    status: bool = True
    # Refused credentials (auth errors, expired tokens), per platform.
    credentials: bool = True
    # A fall of this many percent (or followers) below the window's highest good count.
    drop_percent: float | None = 10.0
    drop_followers: int | None = None
    drop_window: timedelta = timedelta(days=1)
    milestones: bool = True
    # No successful poll for this many of the account's intervals; None: off.
    missed_polls: int | None = None


@dataclass(frozen=True)
class AlertSettings:
    """``[alerts]``: on unless ``enabled = false``; overrides by group, then by account."""

    enabled: bool = True
    rules: AlertRules = field(default_factory=AlertRules)
    # A platform rate limited or with its breaker open for longer than this; None: off.
    platform_blocked: timedelta | None = None
    groups: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    accounts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def rules_for(self, platform: str, handle: str, groups: Sequence[str]) -> AlertRules:
        """The account's rules: the defaults, each of its groups' overrides, then its own."""
        rules = self.rules
        for group in groups:
            rules = replace(rules, **self.groups.get(group, {}))
        own = self.accounts.get(f"{platform}:{handle}".lower(), {})
        return replace(rules, **own)


# ``[alerts]``: a small section of its own. Rule keys may be overridden per group and account.
_ALERT_RULE_KEYS = {
    "enabled",
    "status",
    "credentials",
    "drop_percent",
    "drop_followers",
    "drop_window",
    "milestones",
    "missed_polls",
}

_ALERT_KEYS = _ALERT_RULE_KEYS | {"platform_blocked", "groups", "accounts"}


def _alerts(
    raw: Any, where: str, accounts: Sequence[tuple[str, Sequence[str]]] | None
) -> AlertSettings:
    """``[alerts]`` with its ``[alerts.groups.G]`` and ``[alerts.accounts."p:h"]`` overrides.

    ``accounts``: each configured account's ``platform:handle`` and its groups; None when they
    were checked against this table before (a file the store applied): the names are not checked.
    """
    table = _table(raw, where, "alerts")
    _no_unknown(table, _ALERT_KEYS, where, "alerts.")
    base = _alert_rules(table, where, "alerts")
    blocked = table.get("platform_blocked")
    groups = _table(table.get("groups", {}), where, "alerts.groups")
    known_groups = None if accounts is None else {g for _, groups in accounts for g in groups}
    by_group = {}
    for name, entry in groups.items():
        key = f"alerts.groups.{name}"
        if known_groups is not None and name not in known_groups:
            raise ConfigError(
                f"{where}: {key}", "no account is in this group (see accounts[].groups)"
            )
        by_group[name] = _alert_rules(_table(entry, where, key), where, key)
    known = None if accounts is None else {name.lower(): name for name, _ in accounts}
    by_account = {}
    for name, entry in _table(table.get("accounts", {}), where, "alerts.accounts").items():
        key = f'alerts.accounts."{name}"'
        account = _configured_key(name, known)
        if account is None:
            raise ConfigError(
                f"{where}: {key}", "not a configured account (platform:handle as in [[accounts]])"
            )
        by_account[account.lower()] = _alert_rules(_table(entry, where, key), where, key)
    return AlertSettings(
        enabled=base.pop("enabled", True),
        rules=AlertRules(**base),
        platform_blocked=_duration(blocked, where, "alerts.platform_blocked")
        if blocked is not None
        else None,
        groups=by_group,
        accounts=by_account,
    )


def _configured_key(text: str, known: Mapping[str, str] | None) -> str | None:
    """``platform:handle`` as the accounts list spells it (handle normalised), if configured.

    With ``known`` None (accounts checked before), the normalised spelling itself.
    """
    platform, _, handle = text.partition(":")
    if platform not in REGISTRY:
        return None
    try:
        normal = REGISTRY[platform].normalize_handle(handle)
    except ValueError:
        return None
    if known is None:
        return f"{platform}:{normal}"
    return known.get(f"{platform}:{normal}".lower())


def _alert_rules(table: dict[str, Any], where: str, key: str) -> dict[str, Any]:
    """The rule keys set in one table, checked; ``drop_percent = 0`` (or false) turns it off."""
    nested = {"groups", "accounts", "platform_blocked"} if key == "alerts" else set()
    _no_unknown(table, _ALERT_RULE_KEYS | nested, where, f"{key}.")
    rules: dict[str, Any] = {}
    for name in ("enabled", "status", "credentials", "milestones"):
        if name in table:
            rules[name] = _boolean(table[name], where, f"{key}.{name}")
    if "drop_window" in table:
        rules["drop_window"] = _duration(table["drop_window"], where, f"{key}.drop_window")
    for name, kind in (("drop_percent", float), ("drop_followers", int), ("missed_polls", int)):
        if name in table:
            rules[name] = _off_or_positive(table[name], kind, where, f"{key}.{name}")
    return rules
