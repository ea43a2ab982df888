"""One rule per way the bot writes things: numbers, Markdown, account names, JSON, option names.

Every face and renderer (the CLI's tables, the reports, the text, Markdown and HTML digests)
writes through these, so ``+1,234``, ``+47.28%``, ``Label (platform:handle)`` and the null dash
read the same wherever they appear, and a mistake reads ``--date: ...`` on the command line and
``date: ...`` in the API.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.errors import InputError

# What a table or a sentence shows for an unknown value (never 0).
NULL = "—"
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|#])|(?<!\w)_|_(?!\w)")


def number(value: int | None) -> str:
    """``1,234`` or the null dash."""
    return NULL if value is None else f"{value:,}"


def signed(value: int | None) -> str:
    """A change: ``+1,234``, ``-56``, ``0`` (no change has no sign), or the null dash."""
    if value is None:
        return NULL
    return f"{value:+,}" if value else "0"


def percent(value: float | None) -> str:
    """A growth percentage with 2 decimals: ``+47.28%``, or the null dash."""
    return NULL if value is None else f"{value:+.2f}%"


def change(value: int | None, pct: float | None) -> str:
    """``+90,592 (+40.00%)``, the change alone without a percentage, or the null dash."""
    if value is None:
        return NULL
    return signed(value) if pct is None else f"{signed(value)} ({percent(pct)})"


def md(text: str) -> str:
    """Escape what Markdown would read as markup (an underscore inside a word is left alone)."""
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def account_key(platform: str, handle: str) -> str:
    """``platform:handle``, the identity users type."""
    return f"{platform}:{handle}"


def labelled(label: str | None, key: str) -> str:
    """``Label (key)``, or the key alone for an account without a label."""
    return f"{label} ({key})" if label else key


def who(platform: str, handle: str, label: str | None) -> str:
    """``Label (platform:handle)`` or ``platform:handle``."""
    return labelled(label, account_key(platform, handle))


def iso(value: datetime) -> str:
    """A UTC instant as ISO 8601 with a Z."""
    return value.isoformat().replace("+00:00", "Z")


def plain(value: Any) -> Any:
    """A JSON-ready value: instants as ISO strings with a Z, dates as YYYY-MM-DD."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Spelling:
    """How a face writes its options in a message: ``--from D --to D`` or ``from=D&to=D``."""

    prefix: str  # before an option's name
    assign: str  # between a name and its value
    joiner: str  # between two options

    def name(self, field: str) -> str:
        """``--date`` on the command line, ``date`` in the API."""
        return f"{self.prefix}{field}"

    def given(self, *options: tuple[str, str]) -> str:
        """Options with placeholder values: ``--from D --to D`` or ``from=D&to=D``."""
        return self.joiner.join(
            f"{self.name(field)}{self.assign}{value}" for field, value in options
        )

    def error(self, field: str, problem: str) -> InputError:
        """``--date: <problem>``: an InputError naming ``field``."""
        return InputError(f"{self.name(field)}: {problem}", field=field)

    def choice(self, field: str, value: str, allowed: Sequence[str]) -> str:
        """``value`` if it is one of ``allowed``, else an InputError listing them."""
        if value not in allowed:
            raise self.error(field, f"expected one of {', '.join(allowed)}, got {value!r}")
        return value


CLI = Spelling(prefix="--", assign=" ", joiner=" ")
API = Spelling(prefix="", assign="=", joiner="&")
