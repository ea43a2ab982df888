"""bot.io.export: CSV and JSON lines out, and back in through bot.io.native."""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import InputError
from bot.io.export import ExportFormat, ExportRow, format_for_path, write_export
from bot.io.native import read_import_file

ROW = ExportRow(
    platform="mastodon",
    handle="a@x.social",
    captured_at=datetime(2021, 12, 31, 23, 0, tzinfo=UTC),
    followers=1234,
    following=None,
    posts=0,
    source="poll",
    quality="ok",
)


def _export(rows: list[ExportRow], fmt: ExportFormat) -> tuple[int, str]:
    out = io.StringIO()
    written = write_export(rows, out, fmt)
    return written, out.getvalue()


def test_csv_header_and_cells() -> None:
    later = ExportRow(
        "bluesky",
        'b,"q".dev',
        datetime(2022, 1, 1, 1, 2, 3, 450000, tzinfo=timezone(timedelta(hours=2))),
        None,
        7,
        None,
        "import",
        "suspect",
        "did:plc:abc",
    )
    written, text = _export([ROW, later], "csv")
    assert written == 2
    assert text.splitlines() == [
        "platform,handle,captured_at,followers,following,posts,source,quality,platform_id",
        "mastodon,a@x.social,2021-12-31T23:00:00Z,1234,,0,poll,ok,",
        'bluesky,"b,""q"".dev",2021-12-31T23:02:03.450000Z,,7,,import,suspect,did:plc:abc',
    ]


def test_csv_text_cells_cannot_start_a_formula(tmp_path: Path) -> None:
    rows = [
        ExportRow("telegram", handle, ROW.captured_at, 1, None, None, "poll", "ok")
        for handle in ("@channel", "-1001234567890", "=cmd|' /C calc'!A0", "plain")
    ]
    text = _export(rows, "csv")[1]
    assert [line.split(",")[1] for line in text.splitlines()[1:]] == [
        "'@channel",
        "'-1001234567890",
        "'=cmd|' /C calc'!A0",
        "plain",
    ]
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    back = read_import_file(path, tz=ZoneInfo("UTC"), platforms={"telegram"})
    assert [r.handle for r in back] == [r.handle for r in rows]
    assert '"handle": "@channel"' in _export(rows[:1], "jsonl")[1]  # JSON needs no guard


def test_jsonl_uses_the_same_keys_and_null() -> None:
    written, text = _export([ROW], "jsonl")
    assert written == 1
    assert text.endswith("\n")
    assert json.loads(text) == {
        "platform": "mastodon",
        "handle": "a@x.social",
        "captured_at": "2021-12-31T23:00:00Z",
        "followers": 1234,
        "following": None,
        "posts": 0,
        "source": "poll",
        "quality": "ok",
        "platform_id": None,
    }


def test_a_naive_time_is_taken_as_utc() -> None:
    naive = ExportRow("bluesky", "b.dev", datetime(2021, 1, 2, 3, 4, 5), 1, 2, 3, "poll", "ok")
    assert ",2021-01-02T03:04:05Z," in _export([naive], "csv")[1]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_nothing_to_export(fmt: ExportFormat) -> None:
    written, text = _export([], fmt)
    assert written == 0
    assert text == (
        "platform,handle,captured_at,followers,following,posts,source,quality,platform_id\n"
        if fmt == "csv"
        else ""
    )


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_rows_are_streamed_not_collected(fmt: ExportFormat) -> None:
    out = io.StringIO()
    seen: list[int] = []

    def rows() -> Iterator[ExportRow]:
        for _ in range(3):
            yield ROW
            seen.append(out.getvalue().count("a@x.social"))

    assert write_export(rows(), out, fmt) == 3
    assert seen == [1, 2, 3]  # each row was written before the next one was asked for


@pytest.mark.parametrize(
    ("path", "requested", "expected"),
    [
        pytest.param(None, None, "csv", id="stdout"),
        pytest.param(Path("out.csv"), None, "csv", id=".csv"),
        pytest.param(Path("out.jsonl"), None, "jsonl", id=".jsonl"),
        pytest.param(Path("out.NDJSON"), None, "jsonl", id=".ndjson"),
        pytest.param(Path("out.json"), None, "jsonl", id=".json"),
        pytest.param(Path("out.txt"), None, "csv", id="other extension"),
        pytest.param(Path("out"), None, "csv", id="no extension"),
        pytest.param(Path("out.txt"), "jsonl", "jsonl", id="--format wins"),
        pytest.param(Path("out"), "CSV", "csv", id="--format wins, any case"),
        pytest.param(Path("all.XLSX"), None, "xlsx", id=".xlsx"),
        pytest.param(Path("all.xlsx"), "xlsx", "xlsx", id="xlsx"),
        pytest.param(None, "json", "jsonl", id="json means jsonl"),
    ],
)
def test_format_for_path(path: Path | None, requested: str | None, expected: str) -> None:
    assert format_for_path(path, requested) == expected


@pytest.mark.parametrize(
    ("path", "requested"),
    [(Path("out.csv"), "jsonl"), (Path("out.jsonl"), "csv"), (Path("x.xlsx"), "csv")],
)
def test_a_suffix_naming_another_format_is_refused(path: Path, requested: str) -> None:
    with pytest.raises(InputError, match=r"--output: .* file name but the format is"):
        format_for_path(path, requested)


@pytest.mark.parametrize("requested", ["xml", "", "tsv"])
def test_an_unknown_format_is_an_input_error(requested: str) -> None:
    with pytest.raises(InputError, match="unknown export format"):
        format_for_path(Path("out.csv"), requested)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_round_trip(tmp_path: Path, fmt: ExportFormat) -> None:
    rows = [
        ROW,
        ExportRow(
            "bluesky",
            "b.dev",
            datetime(2022, 6, 1, 12, 0, 0, 1, tzinfo=UTC),
            None,
            None,
            5,
            "import",
            "ok",
        ),
    ]
    path = tmp_path / f"export.{fmt}"
    with path.open("w", encoding="utf-8", newline="") as out:
        write_export(rows, out, fmt)
    back = read_import_file(path, tz=ZoneInfo("Asia/Tokyo"), platforms={"mastodon", "bluesky"})
    assert [(r.line, r.platform, r.handle, r.captured_at) for r in back] == [
        (2 if fmt == "csv" else 1, "mastodon", "a@x.social", ROW.captured_at),
        (3 if fmt == "csv" else 2, "bluesky", "b.dev", rows[1].captured_at),
    ]
    assert [(r.followers, r.following, r.posts) for r in back] == [(1234, None, 0), (None, None, 5)]


_HANDLES = (
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=20)
    .map(str.strip)
    .filter(bool)
)
_COUNTS = st.none() | st.integers(min_value=0, max_value=2**63 - 1)
_ROWS = st.builds(
    ExportRow,
    platform=st.sampled_from(["mastodon", "bluesky"]),
    handle=_HANDLES,
    captured_at=st.datetimes(min_value=datetime(1970, 1, 1), timezones=st.just(UTC)),
    followers=_COUNTS,
    following=_COUNTS,
    posts=_COUNTS,
    source=st.sampled_from(["poll", "import", "demo"]),
    quality=st.sampled_from(["ok", "suspect", "confirmed_drop"]),
    platform_id=st.none() | st.from_regex(r"did:plc:[a-z0-9]{1,24}", fullmatch=True),
)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(_ROWS, min_size=1, max_size=8, unique_by=lambda r: (r.handle, r.captured_at)),
    fmt=st.sampled_from(["csv", "jsonl"]),
)
def test_any_export_imports_back(rows: list[ExportRow], fmt: ExportFormat) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "export.txt"
        with path.open("w", encoding="utf-8", newline="") as out:
            write_export(rows, out, fmt)
        back = read_import_file(path, tz=ZoneInfo("UTC"), platforms={"mastodon", "bluesky"})
    assert [
        (r.platform, r.handle, r.captured_at, r.followers, r.following, r.posts) for r in back
    ] == [(r.platform, r.handle, r.captured_at, r.followers, r.following, r.posts) for r in rows]
    # Quality flags, sources and stable ids come back as exported.
    assert [(r.source, r.quality, r.platform_id) for r in back] == [
        (r.source, r.quality, r.platform_id) for r in rows
    ]
