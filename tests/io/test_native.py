"""bot.io.native: CSV and JSON-lines history files, validated whole before anything is returned."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InputError
from bot.io.native import ImportRow, read_import_file
from bot.kinds import Quality
from bot.platforms import REGISTRY

UTC_ZONE = ZoneInfo("UTC")
PLATFORMS = ("mastodon", "bluesky")
HEADER = "platform,handle,captured_at,followers,following,posts\n"


def _normalize(platform: str, handle: str) -> str:
    """The real adapters' handle rules."""
    return REGISTRY[platform].normalize_handle(handle)


def _write(tmp_path: Path, content: str | bytes, name: str = "history.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def _read(path: Path, tz: ZoneInfo = UTC_ZONE) -> list[ImportRow]:
    return read_import_file(path, tz=tz, platforms=PLATFORMS, normalize=_normalize)


def _error(tmp_path: Path, content: str | bytes, name: str = "history.csv") -> str:
    path = _write(tmp_path, content, name)
    with pytest.raises(InputError) as caught:
        _read(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}")
    return message.removeprefix(str(path))


# --- Errors ------------------------------------------------------------------------------

GOOD = "mastodon,a@x.social,2021-12-31,10,2,3\n"

CSV_ERRORS = [
    # (id, file content, expected line, fragments of the problem)
    (
        "unknown platform",
        HEADER + "myspace,tom,2021-12-31,1,,\n",
        2,
        ["unknown platform 'myspace'", "bluesky, mastodon"],
    ),
    ("empty platform", HEADER + ",tom,2021-12-31,1,,\n", 2, ["platform is empty"]),
    ("empty handle", HEADER + "mastodon,  ,2021-12-31,1,,\n", 2, ["handle is empty"]),
    (
        "control character",
        HEADER + 'bluesky,"b\n.dev",2021-12-31,1,,\n',
        2,
        ["handle 'b\\n.dev' contains a control character"],
    ),
    (
        "handle refused by the adapter",
        HEADER + "mastodon,nobody,2021-12-31,1,,\n",
        2,
        ["invalid mastodon handle 'nobody'", "expected user@instance"],
    ),
    (
        "bad date",
        HEADER + GOOD + "bluesky,b.dev,2021-13-45,1,,\n",
        3,
        ["captured_at '2021-13-45' is not an ISO 8601"],
    ),
    ("not a date at all", HEADER + "bluesky,b.dev,yesterday,1,,\n", 2, ["'yesterday'"]),
    ("basic ISO format refused", HEADER + "bluesky,b.dev,20211231,1,,\n", 2, ["'20211231'"]),
    (
        "odd separator refused",
        HEADER + "bluesky,b.dev,2021-12-31x10:00,1,,\n",
        2,
        ["not an ISO 8601"],
    ),
    ("empty date", HEADER + "bluesky,b.dev,,1,,\n", 2, ["captured_at is empty"]),
    ("negative count", HEADER + "bluesky,b.dev,2021-12-31,-5,,\n", 2, ["followers -5 is negative"]),
    (
        "thousands separator",
        HEADER + 'bluesky,b.dev,2021-12-31,"1,234",,\n',
        2,
        ["followers '1,234' has a thousands separator", "(1234)"],
    ),
    (
        "thousands separator, space",
        HEADER + "bluesky,b.dev,2021-12-31,1,, 12 345 \n",
        2,
        ["posts '12 345' has a thousands separator"],
    ),
    (
        "decimal count",
        HEADER + "bluesky,b.dev,2021-12-31,1,2.5,\n",
        2,
        ["following '2.5' is not a non-negative whole number"],
    ),
    (
        "count too large",
        HEADER + "bluesky,b.dev,2021-12-31,99999999999999999999,,\n",
        2,
        ["too large"],
    ),
    (
        "too many cells",
        HEADER + "bluesky,b.dev,2021-12-31,1,2,3,4\n",
        2,
        ["expected 6 cells as in the header, found 7"],
    ),
    (
        "missing column",
        "platform,handle,followers\nbluesky,b.dev,1\n",
        1,
        ["missing required column(s): captured_at"],
    ),
    ("no header at all", GOOD, 1, ["missing required column(s): platform, handle, captured_at"]),
    (
        "extra column",
        "platform,handle,captured_at,followers,likes\nbluesky,b.dev,2021-12-31,1,2\n",
        1,
        ["unknown column(s): 'likes'"],
    ),
    (
        "repeated column",
        "platform,handle,captured_at,followers,followers\n",
        1,
        ["repeated column(s): 'followers'"],
    ),
    (
        "duplicate",
        HEADER + GOOD + "bluesky,b.dev,2021-12-31,1,,\n" + GOOD,
        4,
        ["duplicate of line 2", "mastodon:a@x.social at 2021-12-31T22:59:59.999999Z"],
    ),
    (
        "duplicate after normalizing",
        HEADER + GOOD + "mastodon,@a@X.Social,2021-12-31T22:59:59.999999Z,1,,\n",
        3,
        ["duplicate of line 2"],
    ),
    (
        "unterminated quote",
        HEADER + GOOD + 'bluesky,"b.dev,2021-12-31,1,,\n',
        3,
        ["CSV syntax error"],
    ),
    (
        "nonexistent local time",
        HEADER + "bluesky,b.dev,2021-03-28T02:30,1,,\n",
        2,
        ["does not exist in Europe/Paris"],
    ),
]


@pytest.mark.parametrize(
    ("content", "line", "fragments"),
    [pytest.param(c, n, f, id=i) for i, c, n, f in CSV_ERRORS],
)
def test_csv_errors_name_the_line_and_the_problem(
    tmp_path: Path, content: str, line: int, fragments: list[str]
) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(InputError) as caught:
        _read(path, tz=ZoneInfo("Europe/Paris"))
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert "more error" not in message
    for fragment in fragments:
        assert fragment in message


JSON_ERRORS = [
    (
        "bad JSON line",
        '{"platform": "bluesky", "handle": "b.dev", "captured_at": "2021-12-31"}\n\n{not json}\n',
        3,
        ["invalid JSON"],
    ),
    (
        "unknown key",
        '{"platform": "bluesky", "handle": "b.dev", "captured_at": "2021-12-31", "likes": 3}\n',
        1,
        ["unknown key(s): 'likes'"],
    ),
    (
        "missing key",
        '{"platform": "bluesky", "handle": "b.dev"}\n',
        1,
        ["missing key(s): captured_at"],
    ),
    (
        "not an object",
        '{"platform": "bluesky", "handle": "b.dev", "captured_at": "2021-12-31"}\n[1, 2]\n',
        2,
        ["expected a JSON object, found array"],
    ),
    (
        "string count",
        '{"platform": "bluesky", "handle": "b.dev", "captured_at": "2021-12-31",'
        ' "followers": "12"}\n',
        1,
        ["followers must be a whole number or null, not string '12'"],
    ),
    (
        "float count",
        '{"platform": "bluesky", "handle": "b.dev", "captured_at": "2021-12-31", "posts": 1.5}\n',
        1,
        ["posts must be a whole number or null, not number 1.5"],
    ),
    (
        "boolean count",
        '{"platform": "bluesky", "handle": "b.dev", "captured_at": "2021-12-31", "posts": true}\n',
        1,
        ["not boolean True"],
    ),
    (
        "negative count",
        '{"platform": "bluesky", "handle": "b.dev", "captured_at": "2021-12-31",'
        ' "following": -1}\n',
        1,
        ["following -1 is negative"],
    ),
    (
        "numeric date",
        '{"platform": "bluesky", "handle": "b.dev", "captured_at": 1640995200}\n',
        1,
        ["captured_at must be a string"],
    ),
    (
        "repeated key",
        '{"platform": "bluesky", "handle": "b.dev", "captured_at": "2021-12-31",'
        ' "posts": 1, "posts": 2}\n',
        1,
        ["repeated key(s): 'posts'"],
    ),
    (
        "unknown platform",
        '{"platform": "x", "handle": "b.dev", "captured_at": "2021-12-31"}\n',
        1,
        ["unknown platform 'x'"],
    ),
]


@pytest.mark.parametrize(
    ("content", "line", "fragments"),
    [pytest.param(c, n, f, id=i) for i, c, n, f in JSON_ERRORS],
)
def test_json_line_errors_name_the_line_and_the_problem(
    tmp_path: Path, content: str, line: int, fragments: list[str]
) -> None:
    problem = _error(tmp_path, content, "history.jsonl")
    assert problem.startswith(f":{line}: "), problem
    for fragment in fragments:
        assert fragment in problem


@pytest.mark.parametrize(
    ("content", "name"),
    [
        pytest.param("", "h.csv", id="empty file"),
        pytest.param("\n  \n\n", "h.csv", id="blank lines only"),
        pytest.param("\ufeff", "h.csv", id="BOM only"),
        pytest.param(HEADER, "h.csv", id="header only"),
        pytest.param(HEADER + "\n,,,,,\n", "h.csv", id="header and empty rows"),
        pytest.param("\n\n", "h.jsonl", id="empty JSON lines"),
    ],
)
def test_a_file_without_rows_is_refused(tmp_path: Path, content: str, name: str) -> None:
    assert _error(tmp_path, content, name) == ": no rows to import"


def test_every_error_is_counted_and_the_first_one_reported(tmp_path: Path) -> None:
    content = (
        HEADER
        + "x,a,2021-12-31,1,,\n"
        + GOOD
        + "bluesky,,2021-12-31,1,,\n"
        + ("bluesky,b.dev,2021-12-31,-1,,\n")
    )
    problem = _error(tmp_path, content)
    assert problem.startswith(":2: unknown platform 'x'")
    assert problem.endswith(" (and 2 more errors)")


def test_one_more_error_is_singular(tmp_path: Path) -> None:
    content = HEADER + "x,a,2021-12-31,1,,\n" + "y,a,2021-12-31,1,,\n"
    assert _error(tmp_path, content).endswith(" (and 1 more error)")


def test_invalid_utf8_is_reported_with_its_line(tmp_path: Path) -> None:
    content = (HEADER + GOOD).encode() + b"bluesky,b\xff.dev,2021-12-31,1,,\n"
    problem = _error(tmp_path, content)
    assert problem.startswith(":3: not UTF-8 text")


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the file"):
        _read(tmp_path / "nope.csv")


def test_a_path_with_a_newline_still_gives_one_line(tmp_path: Path) -> None:
    directory = tmp_path / "a\nb"
    directory.mkdir()
    with pytest.raises(InputError) as caught:
        _read(_write(directory, HEADER))
    assert "\n" not in str(caught.value)


# --- Success -----------------------------------------------------------------------------


def _utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def test_csv_rows_with_empty_cells_as_none(tmp_path: Path) -> None:
    content = HEADER + "mastodon,@A@X.Social,2021-12-31T23:00:00Z, 10 ,,0\n\n"
    content += "Bluesky, B.dev ,2022-01-01 08:30+02:00,,7,\n"
    rows = _read(_write(tmp_path, content))
    assert rows == [
        ImportRow(2, "mastodon", "A@x.social", _utc(2021, 12, 31, 23), 10, None, 0),
        ImportRow(4, "bluesky", "b.dev", _utc(2022, 1, 1, 6, 30), None, 7, None),
    ]


def test_columns_in_any_order_and_optional_ones_absent(tmp_path: Path) -> None:
    content = " Followers ,captured_at,HANDLE,platform\n12,2021-12-31,b.dev,bluesky\n"
    [row] = _read(_write(tmp_path, content))
    assert (row.handle, row.followers, row.following, row.posts) == ("b.dev", 12, None, None)


def test_source_and_quality_columns_are_ignored(tmp_path: Path) -> None:
    content = HEADER.strip() + ",source,quality\nbluesky,b.dev,2021-12-31,1,2,3,poll,ok\n"
    [row] = _read(_write(tmp_path, content))
    assert (row.followers, row.following, row.posts) == (1, 2, 3)


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    content = ("\ufeff" + HEADER + "bluesky,b.dev,2021-12-31,1,2,3\n").replace("\n", "\r\n")
    [row] = _read(_write(tmp_path, content.encode("utf-8")))
    assert (row.line, row.platform, row.posts) == (2, "bluesky", 3)


def test_a_quoted_multiline_cell_keeps_line_numbers(tmp_path: Path) -> None:
    content = HEADER + 'bluesky,b.dev,2021-12-31,1,,\nbluesky,c.dev,2021-12-31,,,"4\nx"\n'
    content += "bluesky,d.dev,2021-12-31,-1,,\n"
    problem = _error(tmp_path, content)
    assert problem.startswith(":3: posts '4\\nx' is not a non-negative whole number")
    assert problem.endswith("(and 1 more error)")
    content = HEADER + 'bluesky,b.dev,2021-12-31,"5\n",,\nbluesky,c.dev,2021-12-31,-1,,\n'
    assert _error(tmp_path, content).startswith(":4: followers -1 is negative")


@pytest.mark.parametrize(
    ("tz", "captured_at", "expected"),
    [
        # A date alone is the end of that local day: its last microsecond, in UTC.
        pytest.param("UTC", "2021-12-31", _utc(2021, 12, 31, 23, 59, 59, 999999), id="date in UTC"),
        # Morocco is +01 except during Ramadan, when it goes back to +00.
        pytest.param(
            "Africa/Casablanca",
            "2021-12-31",
            _utc(2021, 12, 31, 22, 59, 59, 999999),
            id="Casablanca",
        ),
        pytest.param(
            "Africa/Casablanca",
            "2021-05-01",
            _utc(2021, 5, 1, 23, 59, 59, 999999),
            id="Casablanca Ramadan",
        ),
        # Chile skipped local midnight on 2022-09-11 (a 23-hour day, begun at 04:00 UTC): it
        # ends at the next midnight, 00:00 -03, 03:00 UTC less a microsecond.
        pytest.param(
            "America/Santiago",
            "2022-09-11",
            _utc(2022, 9, 12, 2, 59, 59, 999999),
            id="midnight gap",
        ),
        pytest.param("Europe/Paris", "2021-07-01T12:00", _utc(2021, 7, 1, 10), id="naive summer"),
        pytest.param("Europe/Paris", "2021-12-31 23:00:00", _utc(2021, 12, 31, 22), id="naive"),
        # 02:30 happened twice on 2021-10-31 in Paris: the earlier one is taken.
        pytest.param("Europe/Paris", "2021-10-31T02:30", _utc(2021, 10, 31, 0, 30), id="ambiguous"),
        pytest.param("Europe/Paris", "2021-12-31T23:00:00Z", _utc(2021, 12, 31, 23), id="Z"),
        pytest.param("Europe/Paris", "2021-12-31t23:00z", _utc(2021, 12, 31, 23), id="lower z"),
        pytest.param("UTC", "2021-12-31T23:00:00-05:00", _utc(2022, 1, 1, 4), id="offset"),
        pytest.param("UTC", "2021-12-31T23:00+0530", _utc(2021, 12, 31, 17, 30), id="offset hhmm"),
        pytest.param(
            "UTC", "2021-12-31T23:00:00.250Z", _utc(2021, 12, 31, 23, 0, 0, 250000), id="fraction"
        ),
    ],
)
def test_captured_at_becomes_utc(
    tmp_path: Path, tz: str, captured_at: str, expected: datetime
) -> None:
    content = HEADER + f"bluesky,b.dev,{captured_at},1,,\n"
    [row] = _read(_write(tmp_path, content), tz=ZoneInfo(tz))
    assert row.captured_at == expected
    assert row.captured_at.utcoffset() is not None
    assert row.captured_at.utcoffset() == UTC.utcoffset(None)


def test_json_lines(tmp_path: Path) -> None:
    lines = [
        {
            "platform": "mastodon",
            "handle": "@a@X.social",
            "captured_at": "2021-12-31",
            "followers": 5,
            "following": None,
            "posts": 0,
        },
        {
            "platform": "bluesky",
            "handle": "b.dev",
            "captured_at": "2022-01-01T10:00:00+01:00",
            "source": "import",
            "quality": "ok",
        },
    ]
    content = "\n" + json.dumps(lines[0]) + "\n  \n" + json.dumps(lines[1]) + "\n"
    rows = _read(_write(tmp_path, content, "history.csv"), tz=ZoneInfo("Africa/Casablanca"))
    assert rows == [
        ImportRow(2, "mastodon", "a@x.social", _utc(2021, 12, 31, 22, 59, 59, 999999), 5, None, 0),
        ImportRow(
            4, "bluesky", "b.dev", _utc(2022, 1, 1, 9), None, None, None, quality=Quality.OK
        ),
    ]


def test_without_normalizer_the_handle_is_only_stripped(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "bluesky, @B.Dev ,2021-12-31,1,,\n")
    [row] = read_import_file(path, tz=UTC_ZONE, platforms={"bluesky"})
    assert row.handle == "@B.Dev"


def test_same_instant_for_different_accounts_is_not_a_duplicate(tmp_path: Path) -> None:
    content = HEADER + GOOD + "mastodon,b@x.social,2021-12-31,1,,\n"
    content += "mastodon,a@x.social,2021-12-31T00:00:01Z,1,,\n"
    assert len(_read(_write(tmp_path, content))) == 3


@pytest.mark.slow
def test_a_large_file_is_read(tmp_path: Path) -> None:
    count = 100_000
    start = _utc(2020, 1, 1)
    # Account i % 100 is seen at minute i // 100: no duplicates.
    lines = (
        f"bluesky,user{i % 100}.dev,{start + timedelta(minutes=i // 100):%Y-%m-%dT%H:%M:%SZ},"
        f"{i},{i % 7},\n"
        for i in range(count)
    )
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(HEADER)
        fh.writelines(lines)
    rows = _read(path)
    assert len(rows) == count
    assert rows[-1].line == count + 1
    assert rows[-1].followers == count - 1
    assert rows[12_345].captured_at == _utc(2020, 1, 1, 2, 3)
