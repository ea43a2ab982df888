"""A request's query string written once, as httpx would write it, to spare httpx the work.

httpx merges ``params`` into the URL by encoding them, then parsing and validating the whole URL
twice; with 25 Bluesky actors per request that was most of a request's CPU time. Here the query
is encoded once and joined to the URL without a parse: the URL before the query is parsed by
httpx (once per distinct URL), and the query, already percent-encoded, is set as it is. The
result is the URL httpx builds, byte for byte and attribute for attribute (tests/http).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

import httpx

# What ``quote_plus`` leaves as it is: a handle or a number is most often nothing else.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")
# httpx refuses a longer URL (its MAX_URL_LENGTH); such a one is left to it to refuse.
MAX_URL = 65_536
# What quote_plus makes of each ASCII character, for str.translate.
_ASCII_QUOTED = {code: quote_plus(chr(code)) for code in range(128)}


def with_query(url: str, params: Any) -> tuple[httpx.URL | str, Any]:
    """``url`` with ``params`` as its query, and None; or both unchanged when not plain text.

    Only string keys and values in a mapping or a list of pairs, on a URL without a query yet;
    anything else (numbers, a URL that has a query to merge with) is left to httpx.
    """
    if "?" in url or "#" in url:
        return url, params
    pairs = _pairs(params)
    if pairs is None:
        return url, params
    if not pairs:
        return url, None
    # httpx groups repeated keys together, in the order each key first appears.
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    query = "&".join(f"{_quoted(k)}={_quoted(v)}" for k, vs in grouped.items() for v in vs)
    return _joined(url, query), None


def _joined(url: str, query: str) -> httpx.URL | str:
    """``url?query`` as an ``httpx.URL``; the text instead if httpx's insides are not as known.

    Parsing the joined text would check and re-quote the 1,000-odd characters of a 25-actor
    query (~0.12 ms a request): ``quote_plus`` left nothing in it for httpx to change.
    """
    base = _parsed(url)
    reference = getattr(base, "_uri_reference", None)
    if base.query or not hasattr(reference, "_replace") or len(url) + len(query) >= MAX_URL:
        # httpx's own parse: it merges with a query, or refuses a URL too long to send.
        return f"{url}?{query}"
    joined = httpx.URL.__new__(httpx.URL)
    joined._uri_reference = base._uri_reference._replace(query=query)
    return joined


@lru_cache(maxsize=256)
def _parsed(url: str) -> httpx.URL:
    """``url`` parsed by httpx; an adapter asks the same few endpoints again and again."""
    return httpx.URL(url)


def _quoted(text: str) -> str:
    """``text`` as ``urlencode`` writes it (``quote_plus``), in one C call when it is ASCII."""
    if _UNRESERVED.fullmatch(text):
        return text
    # quote_plus takes ASCII a character at a time (``did:plc:…`` -> ``did%3Aplc%3A…``).
    return text.translate(_ASCII_QUOTED) if text.isascii() else quote_plus(text)


def _pairs(params: Any) -> list[tuple[str, str]] | None:
    """The (key, value) pairs of ``params`` if every one is text, else None."""
    items: Sequence[Any]
    if isinstance(params, Mapping):
        items = list(params.items())
    elif isinstance(params, list | tuple):
        items = params
    else:
        return None
    pairs = []
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2):
            return None
        key, value = item
        if type(key) is not str or type(value) is not str:
            return None
        pairs.append((key, value))
    return pairs
