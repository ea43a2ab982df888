"""Settings: the TOML accounts file plus ``.env`` secrets, validated once at the edge.

Everything below the CLI receives one frozen ``Settings``; nothing else reads the environment.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import tomli
from dotenv import dotenv_values
from dotenv.parser import parse_stream

from bot.config.accounts import AccountSettings as AccountSettings
from bot.config.accounts import _accounts
from bot.config.accounts import account_entry as account_entry
from bot.config.alerts import AlertRules as AlertRules
from bot.config.alerts import AlertSettings, _alerts
from bot.config.sections import (
    _BOT_KEYS,
    DEFAULT_DATABASE_URL,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_NOTIFY_TIMEOUT,
    _bot_values,
    _database_url,
    _notify,
    _platforms,
)
from bot.config.sections import PlatformSettings as PlatformSettings
from bot.config.sections import Secret as Secret
from bot.config.sections import notify_secret_parts as notify_secret_parts
from bot.config.source import (
    ConfigSource,
    DeferredAccounts,
    accounts_head,
    fingerprint,
    head_stands_for,
)
from bot.config.values import _no_unknown, _table
from bot.config.values import parse_duration as parse_duration
from bot.errors import ConfigError
from bot.http.redact import credential_values
from bot.platforms import REGISTRY

DEFAULT_CONFIG = Path("config/accounts.toml")


@dataclass(frozen=True)
class Settings:
    """Everything the bot was told, validated."""

    config_path: Path | None = None
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    poll_interval: timedelta = timedelta(hours=6)
    digest_at: time = time(8, 0)
    user_agent: str | None = None
    platforms: Mapping[str, PlatformSettings] = field(default_factory=dict)
    # A tuple, or ``DeferredAccounts`` when the store vouched for the file (bot/config/source.py).
    accounts: Sequence[AccountSettings] = ()
    database_url: str = DEFAULT_DATABASE_URL
    # BOT_NOTIFY: Apprise URLs, secrets as a whole (they carry passwords and webhook tokens).
    notify: tuple[Secret, ...] = ()
    # Bearer token of the HTTP API (`bot serve`).
    api_token: Secret | None = None
    # Follower counts the digest celebrates; empty = the digest's default round numbers.
    milestones: tuple[int, ...] = ()
    # The digests the daemon sends, among DIGEST_KINDS, in that order.
    digests: tuple[str, ...] = ("daily",)
    # The largest platform answer read, in bytes (a bigger one is that batch's parse_error).
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    # How long a BOT_NOTIFY receiver may take to answer a digest (``[bot] notify_timeout``).
    notify_timeout: timedelta = DEFAULT_NOTIFY_TIMEOUT
    # A drop beyond the gate's threshold is confirmed once the new level held this long.
    confirm_drop_after: timedelta = timedelta(hours=6)
    # An account whose newest count is suspect is polled again this soon.
    recheck_after: timedelta = timedelta(minutes=15)
    # ``[alerts]``: which immediate alerts the daemon raises (bot/alerts/).
    alerts: AlertSettings = field(default_factory=lambda: AlertSettings())
    # The config file's fingerprint, for the store to recognise it (None: no file).
    source: ConfigSource | None = None

    def resolved(self) -> Settings:
        """These settings with every account read and checked (deferred ones read now)."""
        if isinstance(self.accounts, DeferredAccounts):
            whole: Settings = self.accounts.settings()
            return whole
        return self

    def account_options(self) -> dict[tuple[str, str], Mapping[str, str]]:
        """The options of the accounts that have some, by (platform, handle)."""
        # Deferred accounts have none: the store vouches only for a file whose accounts have none.
        if isinstance(self.accounts, DeferredAccounts):
            return {}
        return {(a.platform, a.handle): a.options for a in self.accounts if a.options}

    def platform(self, name: str) -> PlatformSettings:
        """The settings of one platform (bare defaults when built without a config file)."""
        return self.platforms.get(name) or PlatformSettings(name=name)

    def secret_values(self) -> list[str]:
        """Every configured secret, for redaction only."""
        tokens = [p.token.reveal() for p in self.platforms.values() if p.token is not None]
        if self.api_token is not None:
            tokens.append(self.api_token.reveal())
        # A key written into an account's URL (``?api_key=…``) is a secret like any token.
        # Only accounts with options can carry one: at 100,000 accounts, parsing an empty URL for
        # each took 0.3 s of every command.
        urls = [o["url"] for o in self.account_options().values() if "url" in o]
        tokens += [v for url in urls for v in credential_values(url)]
        return tokens + [part for url in self.notify for part in notify_secret_parts(url.reveal())]

    def identity(self, platform: str, handle: str) -> tuple[str, str]:
        """What names one account: ``handle`` in any case where the platform says so."""
        adapter = REGISTRY.get(platform)
        folds = adapter is not None and adapter.handle_any_case(handle)
        return (platform, handle.lower() if folds else handle)

    def interval_for(self, account: AccountSettings) -> timedelta:
        """The account's own interval, else the default."""
        return self.interval_of(account.platform, account.interval)

    def interval_of(self, platform: str, own: timedelta | None) -> timedelta:
        """An account's poll interval: its ``own`` if it has one, else the default."""
        # The platform is the hook for a per-platform default; today there is one for all.
        del platform
        return own or self.poll_interval


def read_environment(env_file: Path | None, environ: Mapping[str, str]) -> dict[str, str]:
    """The process environment over the ``.env`` file: real variables are never overridden."""
    path = env_file if env_file is not None else Path(".env")
    if env_file is not None and not env_file.is_file():
        raise ConfigError(str(env_file), "env file not found")
    values: dict[str, str] = {}
    if path.is_file():
        _check_env_file(path)
        values = {k: v for k, v in dotenv_values(path).items() if v is not None}
    values.update(environ)
    return values


def _check_env_file(path: Path) -> None:
    """A ``.env`` line python-dotenv cannot read is the user's mistake, not a warning."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(str(path), "not UTF-8 text") from None
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            # The statement's own first line: python-dotenv counts blank lines before it in.
            skipped = len(binding.original.string) - len(binding.original.string.lstrip("\n"))
            line = binding.original.line + skipped
            raise ConfigError(
                f"{path}: line {line}", "expected NAME=value (quotes closed), a comment or nothing"
            )


def load_settings(
    config_path: Path | None,
    *,
    env_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    defer_accounts: bool = False,
) -> Settings:
    """Read and validate the config file and the environment; raise ``ConfigError``.

    ``defer_accounts``: read only the head of the file and leave ``[[accounts]]`` to
    ``DeferredAccounts``, for a caller that then asks the store whether it applied this file
    (``command_context``); it calls ``resolved()`` when the store says no.
    """
    env = read_environment(env_file, os.environ if environ is None else environ)
    if config_path is None and env.get("BOT_CONFIG"):
        config_path = Path(env["BOT_CONFIG"])
    explicit = config_path is not None
    path = config_path or DEFAULT_CONFIG
    if not path.is_file():
        if explicit:
            raise ConfigError(str(path), "config file not found")
        return _settings_from({}, None, env)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from None
    head = accounts_head(text) if defer_accounts else None
    if head is not None:
        try:
            data = tomli.loads(head)
        except tomli.TOMLDecodeError:
            pass  # the whole file names the problem, if there is one
        else:
            whole = DeferredAccounts(lambda: _whole_file(text, path, env))
            return _settings_from(data, path, env, whole, ConfigSource(fingerprint(text), None))
    return _whole_file(text, path, env)


def _whole_file(text: str, path: Path, env: Mapping[str, str]) -> Settings:
    """The settings of the whole file, and whether its head alone could stand for it later."""
    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from None
    settings = _settings_from(data, path, env)
    splits = head_stands_for(text, data) and not settings.account_options()
    return replace(settings, source=ConfigSource(fingerprint(text), splits))


def _settings_from(
    data: dict[str, Any],
    path: Path | None,
    env: Mapping[str, str],
    deferred: DeferredAccounts[Settings] | None = None,
    source: ConfigSource | None = None,
) -> Settings:
    """Build Settings from parsed TOML, naming the file and key of the first problem."""
    where = str(path) if path else "config"
    _no_unknown(data, {"bot", "platforms", "accounts", "alerts"}, where, "")
    bot = _table(data.get("bot", {}), where, "bot")
    _no_unknown(bot, _BOT_KEYS, where, "bot.")
    values = _bot_values(bot, where)
    platforms = _platforms(_table(data.get("platforms", {}), where, "platforms"), where, env)
    accounts = deferred if deferred is not None else _accounts(data.get("accounts", []), where)
    # Deferred accounts were checked against [alerts] when the store first applied the file.
    known = None if deferred is not None else [(a.key, a.groups) for a in accounts]
    return Settings(
        config_path=path,
        platforms=platforms,
        accounts=accounts,
        database_url=_database_url(env.get("DATABASE_URL") or DEFAULT_DATABASE_URL),
        notify=_notify(env.get("BOT_NOTIFY", "")),
        api_token=Secret(env["BOT_API_TOKEN"]) if env.get("BOT_API_TOKEN") else None,
        alerts=_alerts(data["alerts"], where, known) if "alerts" in data else AlertSettings(),
        source=source,
        **values,
    )
