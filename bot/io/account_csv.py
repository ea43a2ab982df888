"""``bot accounts import FILE``: a CSV of accounts, read and checked row by row.

Columns: ``platform,handle`` and, optionally, ``label,groups,interval`` (any order, a header
row first). ``groups`` holds one or more group names separated by ``|`` (a ``;`` would clash
with spreadsheets that write ``;`` between fields). Every row is checked by the config's own
rules (``bot.config.account_entry``); every problem is named by ``file:line``.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from bot.config import AccountSettings, account_entry
from bot.errors import ConfigError, InputError
from bot.platforms import REGISTRY

COLUMNS = ("platform", "handle", "label", "groups", "interval")
REQUIRED = ("platform", "handle")
GROUP_SEPARATOR = "|"
# Problems shown one per line; the rest are counted.
SHOWN_PROBLEMS = 20


class BadRows(InputError):
    """Rows of an accounts file that cannot be stored: one line each (capped), nothing stored."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} bad row(s)")

    def lines(self) -> list[str]:
        """The first ``SHOWN_PROBLEMS`` problems and, past them, how many more there are."""
        shown = self.problems[:SHOWN_PROBLEMS]
        hidden = len(self.problems) - len(shown)
        return shown + ([f"… and {hidden} more"] if hidden else [])


def read_accounts(path: Path) -> list[tuple[str, AccountSettings]]:
    """Each row as ``(file:line, checked entry)``; ``BadRows`` naming every bad one."""
    entries: list[tuple[str, AccountSettings]] = []
    problems: list[str] = []
    for where, fields in _rows(path):
        if isinstance(fields, str):
            problems.append(f"{where}: {fields}")
            continue
        try:
            entries.append((where, check_entry(fields, where, str)))
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise BadRows(problems)
    return entries


def _rows(path: Path) -> Iterator[tuple[str, dict[str, object] | str]]:
    """``(file:line, fields or what is wrong)`` per data row; empty cells are absent values."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [name.strip().lower() for name in next(reader, [])]
            _check_header(path, header)
            for cells in reader:
                where = f"{path}:{reader.line_num}"
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) != len(header):
                    yield where, f"expected {len(header)} fields like the header, got {len(cells)}"
                    continue
                yield where, _fields(dict(zip(header, cells, strict=True)))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except csv.Error as exc:
        raise InputError(f"{path}: not a CSV file ({exc})") from None


def check_entry(
    fields: Mapping[str, object], where: str, name: Callable[[str], str]
) -> AccountSettings:
    """``account_entry`` for an account declared without options, which some platforms need."""
    adapter = REGISTRY.get(str(fields.get("platform", "")).strip())
    if adapter is not None:
        try:
            adapter.account_options({})
        except ValueError as exc:
            raise ConfigError(
                where,
                f"{adapter.name} accounts need options, declared in the config file's"
                f" [[accounts]] ({exc})",
            ) from None
    return account_entry(fields, where, name)


def _check_header(path: Path, header: list[str]) -> None:
    """The header names known columns, each once, platform and handle among them."""
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in REQUIRED if name not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise InputError(
            f"{path}:1: expected a header of {','.join(COLUMNS)} (label, groups and interval"
            f" optional), got {','.join(header)[:120]!r}"
        )


def _fields(cells: dict[str, str]) -> dict[str, object]:
    """A row's cells as an account's fields: groups split on ``|``, empty cells left out."""
    fields: dict[str, object] = {k: v.strip() for k, v in cells.items() if v.strip()}
    if "groups" in fields:
        fields["groups"] = [g.strip() for g in str(fields["groups"]).split(GROUP_SEPARATOR)]
    return fields
