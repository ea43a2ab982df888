"""What is wrong with an import file: one line's problem, a fatal one, and the tally of them."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Collection, Sequence
from pathlib import Path

from bot.errors import InputError


class _RowError(Exception):
    """A problem with one line; the rest of the file is still checked."""


class _Fatal(Exception):
    """A problem after which the file cannot be read further."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.problem = problem


class _Errors:
    """Remembers the first error and counts the others (from the reading thread and its caller)."""

    def __init__(self) -> None:
        self.first: tuple[int, str] | None = None
        self.count = 0
        self._lock = threading.Lock()

    def add(self, line: int, problem: str) -> None:
        """Record one error; the first is the one on the lowest line."""
        with self._lock:
            if self.first is None or line < self.first[0]:
                self.first = (line, problem)
            self.count += 1

    def raise_if_any(self, path: Path) -> None:
        """Raise one ``InputError`` for everything recorded, if anything was."""
        if self.first is None:
            return
        line, problem = self.first
        more = self.count - 1
        suffix = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
        raise InputError(_one_line(f"{path}:{line}: {problem}{suffix}"))


def _show(value: object) -> str:
    """A short, one-line rendering of a user's value for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _one_line(message: str) -> str:
    """The message with any line breaks (say, from a path) turned into spaces."""
    return " ".join(message.splitlines())


def header_problems(
    columns: Sequence[str], required: Sequence[str], allowed: Collection[str]
) -> list[str]:
    """What is wrong with a header's columns: missing, unknown and repeated ones, in that order."""
    problems = []
    missing = [c for c in required if c not in columns]
    unknown = [c for c in dict.fromkeys(columns) if c not in allowed]
    repeated = sorted(name for name, n in Counter(columns).items() if n > 1)
    if missing:
        problems.append(f"missing required column(s): {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s): {', '.join(map(_show, unknown))}")
    if repeated:
        problems.append(f"repeated column(s): {', '.join(map(_show, repeated))}")
    return problems
