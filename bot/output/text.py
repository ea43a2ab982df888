"""One rule per way the bot writes things: numbers, Markdown, account names, JSON, option names.

Every face and renderer (the CLI's tables, the reports, the text, Markdown and HTML digests)
writes through these, so ``+1,234``, ``+47.28%``, ``Label (platform:handle)`` and the null dash
read the same wherever they appear, and a mistake reads ``--date: ...`` on the command line and
``date: ...`` in the API.

Text the bot did not write (a platform's words, a label, a handle from a file) is data: ``literal``
shows it with every control, escape and direction override made visible, ``isolate`` wraps a
label so a right-to-left script keeps its place in a sentence, and ``md``, ``code``, ``html`` and
``spreadsheet`` escape it for the syntax it lands in. Compose first (``literal`` and ``isolate``
on each untrusted piece), escape for the format last, and never ``literal`` composed text: it
would show the bot's own isolates as ``\u2068``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from typing import Any

from rich.cells import cell_len

from bot.errors import InputError

# What a table or a sentence shows for an unknown value (never 0).
NULL = "—"
# First strong isolate and pop directional isolate: the bidi algorithm lays out what is between
# them on its own, so an Arabic label neither flips nor drags the words around it.
FSI, PDI = "\u2068", "\u2069"
# An ``_`` between two letters or digits cannot open or close emphasis; any other can (``__x__``).
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|#~&])|(?<![^\W_])_|_(?![^\W_])")
# Characters no untrusted text may bring to a terminal, a file or a sentence: C0 and C1
# controls (escape sequences start with ESC or CSI), DEL, the bidi embeddings, overrides and
# isolates, line and paragraph separators, and lone surrogates (they cannot even be encoded).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# What a database cannot hold as text: PostgreSQL refuses a NUL (SQLite keeps it, but its text
# functions stop there), and a lone surrogate cannot be encoded for either.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Line breaks and tabs read as the space they stand for; every other unsafe character is shown.
_SPACES = frozenset("\t\n\r\v\f\x85\u2028\u2029")
_BREAKS = re.compile("[\t\n\r\v\f\x85\u2028\u2029]+")
# A spreadsheet runs a cell starting with one of these as a formula (OWASP's CSV injection list);
# quotes before them are counted so that adding and removing the guard round-trips exactly.
_FORMULA = re.compile("'*[=+\\-@\t\r]")
_BACKTICKS = re.compile("`+")


def literal(text: str) -> str:
    """Untrusted text made safe to show: breaks as spaces, other unsafe characters as ``\\x1b``."""
    return _UNSAFE.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    """A space for a break, else the character's Python escape."""
    char = match.group()
    if char in _SPACES:
        return " "
    point = ord(char)
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


def cleaned(text: str) -> str:
    """Untrusted text to store: each run of line breaks a space, other unsafe characters dropped."""
    return _UNSAFE.sub("", _BREAKS.sub(" ", text)).strip()


def storable(text: str) -> str:
    """Untrusted text a database can hold: a NUL or a lone surrogate written as ``literal`` shows
    it (``\\x00``, ``\\ud800``), everything else kept for ``literal`` to show when printed."""
    return _UNSTORABLE.sub(_visible, text)


def isolate(text: str) -> str:
    """A label shown literally between direction isolates (FSI ... PDI)."""
    return f"{FSI}{literal(text)}{PDI}"


def width(text: str) -> int:
    """How many terminal cells ``text`` takes (isolates and combining marks take none)."""
    # Printable ASCII takes a cell a character: most cells of a large table, counted in C.
    if text.isascii() and text.isprintable():
        return len(text)
    return cell_len(text)


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


def code(text: str) -> str:
    """A Markdown code span of ``text`` shown literally, fenced by more backticks than it holds.

    Made for a table cell: a ``|`` is written ``\\|``, which GFM tables read as a ``|`` of the
    cell's content, even inside a code span (else it would end the cell).
    """
    shown = literal(text)
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(shown)), default=0) + 1)
    # A span may not start or end with a backtick of its own: a space keeps them apart.
    pad = " " if shown.startswith("`") or shown.endswith("`") else ""
    cell = shown.replace("|", "\\|")
    return f"{fence}{pad}{cell}{pad}{fence}"


def html(text: str) -> str:
    """Composed text for HTML: escaped, the bot's own isolates as ``<bdi>`` elements."""
    return escape(text).replace(FSI, "<bdi>").replace(PDI, "</bdi>")


def spreadsheet(text: str) -> str:
    """A CSV cell a spreadsheet will not run: a ``'`` before ``= + - @``, tab or CR (OWASP)."""
    return f"'{text}" if _FORMULA.match(text) else text


def unspreadsheet(text: str) -> str:
    """A CSV cell as it was before ``spreadsheet`` guarded it."""
    return text[1:] if text.startswith("'") and _FORMULA.match(text, 1) else text


def account_key(platform: str, handle: str) -> str:
    """``platform:handle``, the identity users type."""
    return f"{platform}:{handle}"


def labelled(label: str | None, key: str) -> str:
    """``Label (key)`` with the label isolated, or the key alone for an account without one."""
    return f"{isolate(label)} ({key})" if label else key


def who(platform: str, handle: str, label: str | None) -> str:
    """``Label (platform:handle)`` or ``platform:handle``, shown literally."""
    return labelled(label, literal(account_key(platform, handle)))


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
