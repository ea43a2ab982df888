"""Settings: the TOML accounts file plus ``.env`` secrets, validated once at the edge.

Everything below the CLI receives one frozen ``Settings``; nothing else reads the environment.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomli
from dotenv import dotenv_values
from dotenv.parser import parse_stream
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.config.accounts import AccountSettings as AccountSettings
from bot.config.accounts import _accounts
from bot.config.accounts import account_entry as account_entry
from bot.config.alerts import AlertRules as AlertRules
from bot.config.alerts import AlertSettings, _alerts
from bot.config.source import (
    ConfigSource,
    DeferredAccounts,
    accounts_head,
    fingerprint,
    head_stands_for,
)
from bot.config.values import (
    _boolean,
    _bounded_duration,
    _bounded_int,
    _clock_time,
    _duration,
    _header,
    _no_unknown,
    _rate,
    _string,
    _table,
)
from bot.config.values import (
    parse_duration as parse_duration,
)
from bot.errors import ConfigError
from bot.http.addresses import outbound_origin
from bot.http.budget import RateBudget
from bot.http.redact import credential_values
from bot.platforms import REGISTRY

DEFAULT_CONFIG = Path("config/accounts.toml")
DEFAULT_DATABASE_URL = "sqlite:///data/bot.db"
_BOT_KEYS = {
    "timezone",
    "poll_interval",
    "digest_at",
    "user_agent",
    "milestones",
    "digests",
    "max_response_bytes",
    "notify_timeout",
    "confirm_drop_after",
    "recheck_after",
}
# ``[bot] max_response_bytes``: a platform answer larger than this is refused, read no further.
DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024
MAX_RESPONSE_BYTES_RANGE = (1024, 256 * 1024 * 1024)
# The quality gate's durations (bot/quality.py) and the bounds they must stay within.
CONFIRM_DROP_BOUNDS = ("30m", "7d")
RECHECK_BOUNDS = ("1m", "6h")
# ``[bot] digests``: which digests the daemon sends (bot/digest/periods.py).
DIGEST_KINDS = ("daily", "weekly", "monthly")
_PLATFORM_KEYS = {"base_url", "token_env", "rate_limit", "allow_private_addresses"}
_NOTIFY_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")
_URL_PIECES = re.compile(r"[/:@?&=#,;]+")
# Bounds of the values that validate but would crash every cycle past them (datetime overflow,
# a header that cannot be sent): a year between polls, a day for a rate window.
MAX_MILESTONE = 2**63 - 1
# How long a notification channel may take to answer; below the digest's 15-minute claim lease.
DEFAULT_NOTIFY_TIMEOUT = timedelta(seconds=30)
MAX_NOTIFY_TIMEOUT = timedelta(minutes=10)


class Secret:
    """A secret string that never shows itself in a repr, a log line or an f-string."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself: only for building a request."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__


@dataclass(frozen=True)
class PlatformSettings:
    """One ``[platforms.<name>]`` table, with its token read from the environment."""

    name: str
    base_url: str | None = None
    token_env: str | None = None
    token: Secret | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    # Overrides the adapter's documented budget (``rate_limit = "300/15m"``).
    rate_limit: RateBudget | None = None
    # Lets this platform reach private, loopback and link-local addresses (the simulator).
    allow_private_addresses: bool = False


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


def _bot_values(bot: dict[str, Any], where: str) -> dict[str, Any]:
    """The ``[bot]`` table's settings, checked, by their ``Settings`` field names."""
    tz_name = _string(bot.get("timezone", "UTC"), where, "bot.timezone")
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: bot.timezone", f"unknown time zone {tz_name!r}") from None
    user_agent = bot.get("user_agent")
    if user_agent is not None:
        user_agent = _header(_string(user_agent, where, "bot.user_agent"), where, "bot.user_agent")
    notify_timeout = DEFAULT_NOTIFY_TIMEOUT
    if "notify_timeout" in bot:
        notify_timeout = _duration(bot["notify_timeout"], where, "bot.notify_timeout")
        if notify_timeout > MAX_NOTIFY_TIMEOUT:
            raise ConfigError(
                f"{where}: bot.notify_timeout",
                f"expected a duration of at most 10m, got {bot['notify_timeout']!r}",
            )
    return {
        "timezone": timezone,
        "poll_interval": _duration(bot.get("poll_interval", "6h"), where, "bot.poll_interval"),
        "digest_at": _clock_time(bot.get("digest_at", "08:00"), where, "bot.digest_at"),
        "confirm_drop_after": _bounded_duration(
            bot.get("confirm_drop_after", "6h"),
            where,
            "bot.confirm_drop_after",
            CONFIRM_DROP_BOUNDS,
        ),
        "recheck_after": _bounded_duration(
            bot.get("recheck_after", "15m"), where, "bot.recheck_after", RECHECK_BOUNDS
        ),
        "user_agent": user_agent,
        "milestones": _milestones(bot["milestones"], where) if "milestones" in bot else (),
        "digests": _digests(bot["digests"], where) if "digests" in bot else ("daily",),
        "max_response_bytes": _bounded_int(
            bot.get("max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES),
            where,
            "bot.max_response_bytes",
            MAX_RESPONSE_BYTES_RANGE,
        ),
        "notify_timeout": notify_timeout,
    }


def _platforms(
    table: dict[str, Any], where: str, env: Mapping[str, str]
) -> dict[str, PlatformSettings]:
    """Every platform's settings: its table if any, its token from ``token_env`` in any case."""
    for name in table:
        if name not in REGISTRY:
            known = ", ".join(sorted(REGISTRY))
            raise ConfigError(
                f"{where}: platforms.{name}", f"unknown platform {name!r} (known: {known})"
            )
    result: dict[str, PlatformSettings] = {}
    for name in REGISTRY:
        key = f"platforms.{name}"
        entry = _table(table.get(name, {}), where, key)
        extra_keys = set(REGISTRY[name].platform_options)
        _no_unknown(entry, _PLATFORM_KEYS | extra_keys, where, f"{key}.")
        options = {k: _string(entry[k], where, f"{key}.{k}") for k in extra_keys if k in entry}
        base_url = entry.get("base_url")
        if base_url is not None:
            base_url = _origin(_string(base_url, where, f"{key}.base_url"), where, key)
        token_env = entry.get("token_env", REGISTRY[name].token_env)
        if token_env is not None:
            token_env = _string(token_env, where, f"{key}.token_env")
        token = Secret(env[token_env]) if token_env and env.get(token_env) else None
        rate = entry.get("rate_limit")
        result[name] = PlatformSettings(
            name=name,
            base_url=base_url,
            token_env=token_env,
            token=token,
            options=options,
            rate_limit=_rate(rate, where, f"{key}.rate_limit") if rate is not None else None,
            allow_private_addresses=_boolean(
                entry.get("allow_private_addresses", False),
                where,
                f"{key}.allow_private_addresses",
            ),
        )
    return result


def _origin(value: str, where: str, key: str) -> str:
    """A ``base_url``: http(s)://host[:port], its host as a resolver reads it, or a ConfigError."""
    try:
        if not re.match(r"^https?://[^/\s]+/?$", value):
            raise ValueError(value)
        return outbound_origin(value)
    except ValueError:
        raise ConfigError(
            f"{where}: {key}.base_url",
            f"expected an origin like https://host[:port], got {value!r}",
        ) from None


def _notify(raw: str) -> tuple[Secret, ...]:
    """``BOT_NOTIFY``: space-separated Apprise URLs; an entry is named by position, never shown."""
    urls = raw.split()
    for position, url in enumerate(urls, start=1):
        if not _NOTIFY_URL.match(url):
            raise ConfigError(
                "BOT_NOTIFY",
                f"entry {position} of {len(urls)} is not an Apprise URL like "
                "'mailto://user:pass@host' or 'slack://…'",
            )
    return tuple(Secret(url) for url in urls)


def notify_secret_parts(url: str) -> list[str]:
    """The URL and its credential-like parts (password, long tokens), for the redactor."""
    rest = url.split("://", 1)[-1]
    parts = [url]
    userinfo = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[0]
    if ":" in userinfo:
        parts.append(unquote(userinfo.split(":", 1)[1]))
    for piece in map(unquote, _URL_PIECES.split(rest)):
        # Webhook ids and bot tokens are long mixes of letters and digits; host names have dots.
        mixed = any(c.isdigit() for c in piece) and any(c.isalpha() for c in piece)
        tokenish = len(piece) >= 20 or (len(piece) >= 8 and mixed)
        if tokenish and ("." not in piece or len(piece) >= 40):
            parts.append(piece)
    return parts


def _milestones(value: Any, where: str) -> tuple[int, ...]:
    """``[1000, 5000, …]``: a non-empty list of positive whole numbers, sorted, or a ConfigError."""
    numbers = value if isinstance(value, list) else []
    whole = all(isinstance(v, int) and not isinstance(v, bool) for v in numbers)
    if not numbers or not whole or min(numbers) <= 0 or max(numbers) > MAX_MILESTONE:
        raise ConfigError(
            f"{where}: bot.milestones",
            f"expected a non-empty list of positive whole numbers like [1000, 5000], got {value!r}",
        )
    return tuple(sorted(set(value)))


def _digests(value: Any, where: str) -> tuple[str, ...]:
    """``["daily", "weekly", "monthly"]``: a non-empty subset, in that order, or a ConfigError."""
    items = value if isinstance(value, list) else []
    if not items or not all(isinstance(v, str) and v in DIGEST_KINDS for v in items):
        raise ConfigError(
            f"{where}: bot.digests",
            "expected a non-empty list chosen from daily, weekly, monthly like "
            f'["daily", "weekly"], got {value!r}',
        )
    return tuple(k for k in DIGEST_KINDS if k in items)


def _database_url(value: str) -> str:
    """``DATABASE_URL``: a SQLite file or a PostgreSQL URL; the URL itself is never shown."""
    expected = "like sqlite:///data/bot.db or postgresql://user@host:5432/db"
    try:
        parsed = make_url(value.strip())
        port = parsed.port
    except (ArgumentError, ValueError):
        raise ConfigError("DATABASE_URL", f"expected a database URL {expected}") from None
    if port is not None and not 0 < port < 65536:
        raise ConfigError("DATABASE_URL", f"expected a port from 1 to 65535, got {port}")
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise ConfigError(
            "DATABASE_URL",
            "a SQLite URL needs a file, like sqlite:///data/bot.db (in memory, every"
            " snapshot would be lost at exit)",
        )
    return value.strip()
