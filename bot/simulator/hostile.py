"""Hostile values: one account's follower count served as something no count should be.

Per account, not per path (faults.py queues those): the count is served as non-ASCII digits, a
boolean, 2**64, control and bidi characters, Rich markup, an object, nested arrays or a float;
or the account's whole answer is made unreadable (nested past any parser, a 5,000-digit
number, a body of several megabytes). The simulated platforms serve a marker number for the
count (``hostile_marker``); the app swaps each marker for its kind's JSON in the body as sent
(``with_hostile_values``), so no platform module needs code for it.
"""

from __future__ import annotations

import functools
import re
from typing import Literal, get_args

HostileKind = Literal[
    "non-ascii-digits",
    "wrong-type",
    "over-range",
    "control-chars",
    "markup",
    "object",
    "nested",
    "float",
    "deep-nesting",
    "huge-number",
    "oversize",
]
HOSTILE_KINDS: frozenset[str] = frozenset(get_args(HostileKind))
# Kinds that make the whole answer unreadable: a batch sharing it fails with the account.
WHOLE_BODY_HOSTILE: frozenset[str] = frozenset({"deep-nesting", "huge-number", "oversize"})
OVERSIZE_BYTES = 6 * 1024 * 1024
_HOSTILE_ORDER: tuple[HostileKind, ...] = get_args(HostileKind)


def hostile_marker(kind: HostileKind) -> int:
    """The count a simulated platform serves for an account with hostile ``kind``.

    Three significant figures, so YouTube's rounding keeps it; far above any simulated count.
    """
    return (987 - _HOSTILE_ORDER.index(kind)) * 10**9


@functools.cache
def hostile_json(kind: HostileKind) -> bytes:
    """The JSON served in place of the count."""
    fragments: dict[str, bytes] = {
        "non-ascii-digits": '"\u0663\u0664\u0665"'.encode(),  # ٣٤٥: isdigit() says yes
        "wrong-type": b"true",
        "over-range": str(2**64).encode(),
        "control-chars": rb'"\u0000\u001b[31m\u202e12\u0085\u2066"',
        "markup": b'"[bold red]12[/bold red][/]"',
        "object": b'{"$numberLong": "12"}',
        "nested": b"[" * 20 + b"1" + b"]" * 20,
        "float": b"1e308",
        "deep-nesting": b"[" * 100_000 + b"]" * 100_000,
        "huge-number": b"9" * 5000,
        "oversize": b'"' + b"x" * OVERSIZE_BYTES + b'"',
    }
    return fragments[kind]


@functools.cache
def _markers() -> re.Pattern[bytes]:
    """Any marker, quoted (YouTube's string counts) or bare, never inside a longer number."""
    numbers = "|".join(str(hostile_marker(k)) for k in _HOSTILE_ORDER)
    return re.compile(f'"({numbers})"|(?<![0-9.])({numbers})(?![0-9.])'.encode())


def with_hostile_values(body: bytes) -> bytes:
    """``body`` with each hostile marker replaced by its kind's JSON."""
    by_marker = {str(hostile_marker(k)).encode(): k for k in _HOSTILE_ORDER}

    def swap(match: re.Match[bytes]) -> bytes:
        return hostile_json(by_marker[match.group(1) or match.group(2)])

    return _markers().sub(swap, body)
