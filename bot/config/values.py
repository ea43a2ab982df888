"""The config's value readers: each checks one TOML or .env value and names the key at fault."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import time, timedelta
from typing import Any

from bot.errors import ConfigError
from bot.http.budget import RateBudget

# The longest poll interval (and any duration) a config may give.
MAX_INTERVAL = timedelta(days=366)

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")

MAX_RATE_WINDOW = timedelta(days=31)

MAX_RATE_REQUESTS = 1_000_000

MAX_TEXT = 200  # labels, group names, the User-Agent

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})

_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

_HEADER_VALUE = re.compile(r"^[\x20-\x7e]+$")  # visible ASCII: no CR/LF, no other bytes


def parse_duration(text: str) -> timedelta:
    """``"90s"``, ``"30m"``, ``"6h"``, ``"1d"`` -> timedelta; ``ValueError`` otherwise."""
    match = _DURATION.match(text) if isinstance(text, str) and len(text) < 40 else None
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"expected a duration like '30m', '6h' or '1d', got {text!r}")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds > MAX_INTERVAL.total_seconds():
        raise ValueError(f"expected a duration of at most {MAX_INTERVAL.days}d, got {text!r}")
    return timedelta(seconds=seconds)


def _bounded_int(value: Any, where: str, key: str, bounds: tuple[int, int]) -> int:
    """An integer within ``bounds`` (inclusive), else ``ConfigError`` naming the key."""
    low, high = bounds
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(
            f"{where}: {key}", f"expected an integer from {low} to {high}, got {value!r}"
        )
    return value


def _boolean(value: Any, where: str, key: str) -> bool:
    """``true`` or ``false`` or a ConfigError."""
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key}", f"expected true or false, got {value!r}")
    return value


def _no_unknown(table: Mapping[str, Any], allowed: set[str], where: str, prefix: str) -> None:
    """Refuse keys we do not know: a typo must not be silently ignored."""
    for key in table:
        if key not in allowed:
            expected = ", ".join(sorted(allowed))
            raise ConfigError(
                f"{where}: {prefix}{key}", f"unknown key (expected one of: {expected})"
            )


def _table(value: Any, where: str, key: str) -> dict[str, Any]:
    """A TOML table or a ConfigError."""
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {key}", f"expected a table, got {type(value).__name__}")
    return value


def _string(value: Any, where: str, key: str) -> str:
    """A non-empty string or a ConfigError."""
    if not isinstance(value, str) or not value.strip():
        got = "nothing" if value is None else f"{type(value).__name__} {value!r}"
        raise ConfigError(f"{where}: {key}", f"expected a non-empty string, got {got}")
    return value.strip()


def _duration(value: Any, where: str, key: str) -> timedelta:
    """A duration string or a ConfigError."""
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ConfigError(f"{where}: {key}", str(exc)) from None


def _bounded_duration(value: Any, where: str, key: str, bounds: tuple[str, str]) -> timedelta:
    """A duration within ``bounds`` (both included) or a ConfigError."""
    duration = _duration(value, where, key)
    low, high = bounds
    if not parse_duration(low) <= duration <= parse_duration(high):
        raise ConfigError(f"{where}: {key}", f"expected between {low} and {high}, got {value!r}")
    return duration


def parse_rate(text: Any) -> RateBudget:
    """``"300/15m"`` (requests per duration; ``"30/s"`` means per second) as a budget."""
    match = _RATE.match(text) if isinstance(text, str) and len(text) < 40 else None
    if not match or int(match.group(1)) < 1 or match.group(2) == "0":
        raise ValueError(f"expected requests per duration like '300/15m' or '30/s', got {text!r}")
    span = int(match.group(2) or 1) * _UNITS[match.group(3)]
    if int(match.group(1)) > MAX_RATE_REQUESTS or span > MAX_RATE_WINDOW.total_seconds():
        raise ValueError(
            f"expected at most {MAX_RATE_REQUESTS} requests per at most "
            f"{MAX_RATE_WINDOW.days}d, got {text!r}"
        )
    return RateBudget(requests=int(match.group(1)), per_seconds=span)


def _rate(value: Any, where: str, key: str) -> RateBudget:
    """A rate budget string or a ConfigError."""
    try:
        return parse_rate(value)
    except ValueError as exc:
        raise ConfigError(f"{where}: {key}", str(exc)) from None


def _clock_time(value: Any, where: str, key: str) -> time:
    """``"HH:MM"`` or a ConfigError."""
    if isinstance(value, str) and re.match(r"^\d{2}:\d{2}$", value):
        hours, minutes = (int(p) for p in value.split(":"))
        if hours < 24 and minutes < 60:
            return time(hours, minutes)
    raise ConfigError(f"{where}: {key}", f"expected a local time like '08:00', got {value!r}")


def _text(value: str, where: str, key: str) -> str:
    """A name shown to people: at most ``MAX_TEXT`` characters, no control or bidi override."""
    # Joiners and direction marks (emoji sequences, Arabic names) are text; embeddings,
    # overrides and isolates would reorder whatever is printed after the name.
    # Printable ASCII holds no control or bidi character: only other text is looked up.
    unsafe = not (value.isascii() and value.isprintable()) and any(
        unicodedata.category(c) in _UNSAFE_CATEGORIES or c in _BIDI for c in value
    )
    if len(value) > MAX_TEXT or unsafe:
        raise ConfigError(
            f"{where}: {key}",
            f"expected at most {MAX_TEXT} characters without control or bidi override"
            f" characters, got {value[:40]!r}",
        )
    return value


def _header(value: str, where: str, key: str) -> str:
    """An HTTP header value: visible ASCII on one line, at most ``MAX_TEXT`` characters."""
    if len(value) > MAX_TEXT or not _HEADER_VALUE.match(value):
        raise ConfigError(
            f"{where}: {key}",
            f"expected at most {MAX_TEXT} visible ASCII characters on one line"
            f" (an HTTP header), got {value[:40]!r}",
        )
    return value


def _off_or_positive(value: Any, kind: type, where: str, key: str) -> float | int | None:
    """A positive number (``kind``: int or float), or None for ``false`` / 0 (off)."""
    if value is False or value == 0:
        return None
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if not numeric or value < 0 or (kind is int and not isinstance(value, int)):
        expected = "a positive whole number" if kind is int else "a positive number"
        raise ConfigError(f"{where}: {key}", f"expected {expected} or false, got {value!r}")
    if kind is float and value >= 100:
        raise ConfigError(f"{where}: {key}", f"expected a percentage below 100, got {value!r}")
    return float(value) if kind is float else int(value)
