"""The sections of the config besides its accounts: ``[bot]``, ``[platforms.*]`` and secrets.

Each reader checks one table or variable and names the key of the first problem; ``Settings``
(bot.config) is built from what they return.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

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
from bot.errors import ConfigError
from bot.http.addresses import outbound_origin
from bot.http.budget import RateBudget
from bot.platforms import REGISTRY

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
