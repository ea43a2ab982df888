"""Snapshot rows in PostgreSQL's binary COPY format, made without a connection.

``bot import`` writes a batch in a thread while it builds the next one (bot/store/imports.py).
psycopg formats rows only inside an open COPY, so the writing thread used to format each batch
itself, row by row, and between rows waited for the interpreter lock that the parsing and the
building threads held, while the server had nothing to read. Made here, in the importer's own
thread, a batch reaches the writer as bytes that it only sends. The layout is PostgreSQL's
documented binary format (the COPY page, "Binary Format"): a header, then per row the number of
fields and each field as its byte length (-1 for NULL) and value, network byte order, then -1.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

# account_id, captured_at, followers, following, posts, precision, source, quality
Row = tuple[int, datetime, int | None, int | None, int | None, int, str, str]

HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
TRAILER = b"\xff\xff"
# Eight fields: int4, timestamptz (int8 microseconds from 2000-01-01 UTC), three int8 counts,
# int4 precision; the two texts follow. The usual row, every count known, is one pack.
_WHOLE = struct.Struct(">hiiiqiqiqiqii")
_HEAD = struct.Struct(">hiiiq")  # field count, account_id, captured_at: a row with a NULL count
_COUNT = struct.Struct(">iq")
_INT4 = struct.Struct(">ii")
_NULL = b"\xff\xff\xff\xff"
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_INSTANTS = 4096  # instants remembered per batch (a file repeats few of them many times)


def encode(rows: Iterable[Row]) -> bytes:
    """The rows as one binary COPY stream for the snapshot table's eight columns."""
    out = bytearray(HEADER)
    whole = _WHOLE.pack
    micros: dict[datetime, int] = {}
    texts: dict[tuple[str, str], bytes] = {}
    for account_id, at, followers, following, posts, precision, source, quality in rows:
        us = micros.get(at)
        if us is None:
            if len(micros) >= _INSTANTS:
                micros.clear()
            us = micros[at] = (at - _EPOCH) // _MICROSECOND
        tail = texts.get((source, quality))
        if tail is None:
            tail = texts[(source, quality)] = _text(source) + _text(quality)
        if followers is not None and following is not None and posts is not None:
            out += whole(
                8, 4, account_id, 8, us, 8, followers, 8, following, 8, posts, 4, precision
            )
        else:
            out += _HEAD.pack(8, 4, account_id, 8, us)
            for count in (followers, following, posts):
                out += _NULL if count is None else _COUNT.pack(8, count)
            out += _INT4.pack(4, precision)
        out += tail
    out += TRAILER
    return bytes(out)


def _text(value: str) -> bytes:
    """A text field: its UTF-8 length, then its bytes."""
    data = value.encode()
    return len(data).to_bytes(4, "big") + data
