"""The config file as text: its fingerprint, and its ``[[accounts]]`` read only when needed.

A command that finds, in the store, that this exact file was checked and applied before
(``bot.store.declared.trusted_engine``) needs none of its accounts: it reads the head of the
file (everything before the first ``[[accounts]]`` line) and leaves the accounts unparsed. At
100,000 accounts that is 2-4 s of TOML parsing and checking saved on every command.

The head is trusted to stand for the whole file only when it was proven to, once, on a full
read of the same bytes (``ConfigSource.splits``): the head alone parses to everything but the
accounts, and no account has options (whose URLs the redactor must know).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, Protocol, TypeVar, overload

import tomli

from bot import __version__
from bot.config.accounts import AccountSettings

# Bumped when a check of an account entry changes what it accepts or how it spells a handle
# within a release (each release is part of the fingerprint too): a file checked by an older
# bot is then read whole once more.
_CHECKS_VERSION = "1"
_ACCOUNTS_LINE = re.compile(r"^[ \t]*\[\[[ \t]*accounts[ \t]*\]\][ \t]*(#.*)?\r?$", re.MULTILINE)


@dataclass(frozen=True)
class ConfigSource:
    """What the store remembers of a config file it applied."""

    # sha256 of the file's text, the bot's release and the checks' version.
    fingerprint: str
    # The head stands for the whole file but its accounts, which carry no options (None: not
    # known, the file was not read whole).
    splits: bool | None


def fingerprint(text: str) -> str:
    """The file's identity for the store: its text, the bot's release and the checks' version."""
    return hashlib.sha256(f"{__version__}/{_CHECKS_VERSION}\n{text}".encode()).hexdigest()


def accounts_head(text: str) -> str | None:
    """The text before the first ``[[accounts]]`` line, or None when there is none."""
    found = _ACCOUNTS_LINE.search(text)
    return text[: found.start()] if found is not None else None


def head_stands_for(text: str, data: dict[str, Any]) -> bool:
    """Whether the head of ``text`` parses to ``data`` (the whole file's) without its accounts."""
    head = accounts_head(text)
    if head is None:
        return False
    try:
        parsed = tomli.loads(head)
    except tomli.TOMLDecodeError:  # e.g. the line sits inside a multi-line string
        return False
    return "accounts" in data and parsed == {k: v for k, v in data.items() if k != "accounts"}


class _Whole(Protocol):
    """Settings with their accounts (``bot.config.Settings``, which imports this module)."""

    @property
    def accounts(self) -> Sequence[AccountSettings]: ...


W = TypeVar("W", bound=_Whole)


class DeferredAccounts(Sequence[AccountSettings], Generic[W]):
    """A trusted file's ``[[accounts]]``, read and checked only if something iterates them.

    Only ``command_context`` keeps one, and only once the store said the file is the one it
    applied: those accounts have no options (``ConfigSource.splits``).
    """

    def __init__(self, whole: Callable[[], W]) -> None:
        self._whole = whole

    def settings(self) -> W:
        """The settings of the whole file, accounts read and checked (once)."""
        return self._read

    @cached_property
    def _read(self) -> W:
        return self._whole()

    @overload
    def __getitem__(self, index: int) -> AccountSettings: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[AccountSettings]: ...

    def __getitem__(self, index: int | slice) -> AccountSettings | Sequence[AccountSettings]:
        return self._read.accounts[index]

    def __len__(self) -> int:
        return len(self._read.accounts)

    def __iter__(self) -> Iterator[AccountSettings]:
        return iter(self._read.accounts)
