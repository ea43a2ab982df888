"""RowWriter: rows written in pieces come out as ``render`` writes them all at once."""

from __future__ import annotations

import io
import json

from bot.output.tables import Column, RowWriter, render

COLUMNS = (
    Column("platform", "Platform"),
    Column("handle", "Handle"),
    Column("followers", "Followers", numeric=True),
    Column("message", "Message", from_platform=True),
    Column("hidden", "Hidden", table_only=True),
)
ROWS = [
    {"platform": "bsky", "handle": f"u{i}", "followers": i, "message": f"m{i} secret", "hidden": i}
    for i in range(7)
]


def redact(text: str) -> str:
    return text.replace("secret", "***")


def pieces(fmt: str, sizes: list[int]) -> str:
    out = io.StringIO()
    writer = RowWriter(COLUMNS, fmt, out=out, redact=redact)
    start = 0
    for size in sizes:
        writer.write(ROWS[start : start + size])
        start += size
    writer.close()
    return out.getvalue()


def whole(fmt: str, rows: list[dict[str, object]]) -> str:
    out = io.StringIO()
    render(rows, COLUMNS, fmt, out=out, redact=redact)
    return out.getvalue()


def test_json_and_csv_in_pieces_are_byte_for_byte_the_whole() -> None:
    for fmt in ("json", "csv"):
        for sizes in ([7], [1, 6], [3, 0, 3, 1], [1] * 7):
            assert pieces(fmt, sizes) == whole(fmt, ROWS), (fmt, sizes)
    assert json.loads(pieces("json", [2, 5]))[1]["message"] == "m1 ***"


def test_no_rows_is_what_render_writes_for_none() -> None:
    for fmt in ("json", "csv", "table"):
        assert pieces(fmt, []) == whole(fmt, []), fmt
        assert pieces(fmt, [0]) == whole(fmt, []), fmt


def test_one_piece_table_is_the_whole_table_and_later_pieces_have_no_heading() -> None:
    assert pieces("table", [7]) == whole("table", ROWS)
    text = pieces("table", [3, 4])
    assert text.count("Platform") == 1
    assert all(f"u{i} " in text for i in range(7)) and "***" in text
