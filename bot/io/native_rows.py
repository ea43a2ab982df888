"""The row of a history file, what rows are checked against, and the checks both readers share."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.io.instants import _captured_at
from bot.io.problems import _RowError, _show
from bot.kinds import Quality, Source

REQUIRED_COLUMNS = ("platform", "handle", "captured_at", "followers")
OPTIONAL_COLUMNS = ("following", "posts")
# Written by ``bot export`` and read back, so an export imports as it was (all optional).
EXPORT_COLUMNS = ("source", "quality", "platform_id")
_ALLOWED = frozenset(REQUIRED_COLUMNS + OPTIONAL_COLUMNS + EXPORT_COLUMNS)
_SOURCES = tuple(str(s) for s in Source)
_QUALITIES = tuple(str(q) for q in Quality)
_MAX_COUNT = 2**63 - 1  # BIGINT
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A file names few accounts and instants, each many times: their checks are remembered, up to
# these many (a year of daily rows fits; memory stays that of a batch, whatever the file).
_CACHE_ACCOUNTS = 4096
_CACHE_INSTANTS = 512

Record = Mapping[str, object]
Parsed = tuple[int, Record | list[str] | str]  # (line, record or cells, or the problem)
CountParser = Callable[[str, object], int | None]


class ImportRow(NamedTuple):
    """One historical observation read from an import file."""

    line: int  # 1-based line number in the file (CSV: counting the header as line 1)
    platform: str
    handle: str
    captured_at: datetime  # aware, UTC
    followers: int | None
    following: int | None
    posts: int | None
    precision: int = 1  # the follower count's rounding step (1 = exact)
    source: Source = Source.IMPORT  # as exported, else ``import``
    quality: Quality | None = None  # as exported; None: the quality gate decides
    platform_id: str | None = None  # the account's stable id, as exported


class _Context:
    """What rows are checked against, and the checks already made (a file repeats its accounts
    and instants many times; each distinct one is checked once, up to a bound)."""

    def __init__(
        self,
        path: Path,
        tz: ZoneInfo,
        platforms: frozenset[str],
        normalize: Callable[[str, str], str] | None,
        now: datetime | None,
    ) -> None:
        self.path = path
        self.tz = tz
        self.platforms = platforms
        self.normalize = normalize
        self.now = now
        self._platforms: dict[str, str] = {}  # only good names are kept: few
        self._handles: dict[tuple[str, str], str] = {}
        # Checked cells and their instants: the CSV reader looks here first (bot/io/native_csv.py).
        self.instants: dict[str, datetime] = {}

    def platform(self, raw: str) -> str:
        """A known platform name (see ``_platform``)."""
        found = self._platforms.get(raw)
        if found is None:
            found = self._platforms[raw] = _platform(raw, self.platforms)
        return found

    def handle(self, platform: str, raw: str) -> str:
        """A canonical handle of the platform (see ``_handle``)."""
        key = (platform, raw)
        found = self._handles.get(key)
        if found is None:
            found = _handle(platform, raw, self.normalize)
            if len(self._handles) >= _CACHE_ACCOUNTS:
                self._handles.clear()
            self._handles[key] = found
        return found

    def instant(self, raw: str) -> datetime:
        """A ``captured_at`` cell as an aware UTC instant (see ``_captured_at``)."""
        found = self.instants.get(raw)
        if found is None:
            found = _captured_at(raw, self.tz, self.now)
            if len(self.instants) >= _CACHE_INSTANTS:
                self.instants.clear()  # the same dict: the CSV reader holds it
            self.instants[raw] = found
        return found


def _build(line: int, record: Record, count: CountParser, ctx: _Context) -> ImportRow:
    """Validate one record into an ``ImportRow``."""
    platform = ctx.platform(_text(record, "platform"))
    handle = ctx.handle(platform, _text(record, "handle"))
    captured_at = ctx.instant(_text(record, "captured_at"))
    get = record.get
    followers, following, posts = count("followers", get("followers")), None, None
    if get("following") is not None:
        following = count("following", get("following"))
    if get("posts") is not None:
        posts = count("posts", get("posts"))
    source = Source.IMPORT
    quality = platform_id = None
    # The export columns are absent from most files: one look tells.
    if get("source") is not None or get("quality") is not None or get("platform_id") is not None:
        source = Source(_word(record, "source", _SOURCES) or Source.IMPORT)
        word = _word(record, "quality", _QUALITIES)
        quality = Quality(word) if word else None
        platform_id = _platform_id(_text(record, "platform_id"))
    return ImportRow(
        line,
        platform,
        handle,
        captured_at,
        followers,
        following,
        posts,
        source=source,
        quality=quality,
        platform_id=platform_id,
    )


def _platform_id(raw: str) -> str | None:
    """An exported account id, or None when empty."""
    platform_id = raw.strip() or None
    if platform_id is not None and (len(platform_id) > 255 or _CONTROL.search(platform_id)):
        raise _RowError(f"platform_id {_show(platform_id)} is not a platform's id")
    return platform_id


def _word(record: Record, key: str, allowed: tuple[str, ...]) -> str | None:
    """An optional word from a fixed vocabulary (as ``bot export`` writes it); empty is None."""
    text = _text(record, key).strip().lower()
    if not text:
        return None
    if text not in allowed:
        raise _RowError(f"{key} {_show(text)} is not one of {', '.join(allowed)}")
    return text


def _text(record: Record, key: str) -> str:
    """A string field; absent is empty."""
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _RowError(f"{key} must be a string, not {_json_type(value)}")
    return value


def _platform(raw: str, platforms: frozenset[str]) -> str:
    """A known platform name (compared case-insensitively)."""
    name = raw.strip()
    for candidate in (name, name.lower()):
        if candidate in platforms:
            return candidate
    known = ", ".join(sorted(platforms)) or "none"
    if not name:
        raise _RowError(f"platform is empty (known: {known})")
    raise _RowError(f"unknown platform {_show(name)} (known: {known})")


def _handle(platform: str, raw: str, normalize: Callable[[str, str], str] | None) -> str:
    """A non-empty handle, in canonical form when a normalizer is given."""
    handle = raw.strip()
    if not handle:
        raise _RowError("handle is empty")
    if _CONTROL.search(handle):
        raise _RowError(f"handle {_show(handle)} contains a control character")
    if normalize is None:
        return handle
    try:
        return normalize(platform, handle)
    except ValueError as exc:
        raise _RowError(f"invalid {platform} handle {_show(handle)}: {exc}") from None


def _bounded(name: str, value: int) -> int:
    """A count that fits the database's BIGINT."""
    if value > _MAX_COUNT:
        raise _RowError(f"{name} {value} is too large")
    return value


def _json_type(value: object) -> str:
    """How JSON would name the type of ``value``, with the value when short."""
    names = {bool: "boolean", int: "number", float: "number", str: "string", list: "array"}
    return f"{names.get(type(value), 'object')} {_show(value)}"
