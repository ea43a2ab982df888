"""A small RFC 6901 JSON pointer: parse ``/a/0/b~1c`` into tokens and resolve it in a document."""

from __future__ import annotations

import re
from typing import Any

# "~" must be followed by 0 or 1 (RFC 6901 section 3); anything else is a malformed pointer.
_BAD_ESCAPE = re.compile(r"~(?![01])")
# An array index is "0" or digits without a leading zero (RFC 6901 section 4).
_INDEX = re.compile(r"0|[1-9][0-9]*")


class PointerNotFound(LookupError):
    """The pointer names nothing in the document (absent key, index out of range, scalar)."""


def parse_pointer(pointer: str) -> tuple[str, ...]:
    """Split ``pointer`` into unescaped reference tokens; ``ValueError`` if it is malformed."""
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer {pointer!r} must be empty or start with '/'")
    tokens = pointer[1:].split("/")
    for token in tokens:
        if _BAD_ESCAPE.search(token):
            raise ValueError(
                f"JSON pointer {pointer!r} has a '~' not followed by 0 or 1 (write ~0 for '~')"
            )
    # ~1 first, then ~0: "~01" must become "~1", not "/".
    return tuple(token.replace("~1", "/").replace("~0", "~") for token in tokens)


def resolve(document: Any, pointer: str) -> Any:
    """The value ``pointer`` names in ``document``; ``PointerNotFound`` when it names nothing."""
    current = document
    for token in parse_pointer(pointer):
        if isinstance(current, dict):
            if token not in current:
                raise PointerNotFound(pointer)
            current = current[token]
        elif isinstance(current, list):
            # "-" (past the end) and malformed indexes name no existing element.
            if not _INDEX.fullmatch(token) or int(token) >= len(current):
                raise PointerNotFound(pointer)
            current = current[int(token)]
        else:
            raise PointerNotFound(pointer)
    return current
