"""The JSON-lines reader of a history file: one object per line, known keys only."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from bot.io.native_rows import _ALLOWED, Parsed, Record, _bounded, _json_type
from bot.io.problems import _RowError, _show

_JSON_REQUIRED = frozenset(("platform", "handle", "captured_at"))


def _json_records(lines: Iterable[str]) -> Iterator[Parsed]:
    """One JSON object per line; blank lines skipped."""
    for line, text in enumerate(lines, 1):
        if text.strip():
            yield line, _json_object(text)


def _json_object(text: str) -> Record | str:
    """Parse one line into an object with only known keys, or say what is wrong."""
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        return f"invalid JSON: {exc.msg} (column {exc.colno})"
    except RecursionError:
        return "invalid JSON: nested too deeply"
    except _RowError as exc:
        return str(exc)
    if not isinstance(value, dict):
        return f"expected a JSON object, found {_json_type(value)}"
    unknown = [key for key in value if key not in _ALLOWED]
    if unknown:
        return f"unknown key(s): {', '.join(map(_show, unknown))}"
    missing = sorted(_JSON_REQUIRED - value.keys())
    if missing:
        return f"missing key(s): {', '.join(missing)}"
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object that names no key twice."""
    result = dict(pairs)
    if len(result) != len(pairs):
        counts = Counter(key for key, _ in pairs)
        repeated = sorted(key for key, n in counts.items() if n > 1)
        raise _RowError(f"repeated key(s): {', '.join(map(_show, repeated))}")
    return result


def _json_count(name: str, value: object) -> int | None:
    """A JSON count: null or absent is None; else a non-negative integer."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _RowError(f"{name} must be a whole number or null, not {_json_type(value)}")
    if value < 0:
        raise _RowError(f"{name} {value} is negative")
    return _bounded(name, value)
