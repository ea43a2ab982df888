"""One-account CSVs: Social Blade-style exports and any CSV with --map (bot.io.mapped)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InputError
from bot.io.mapped import ColumnMap, infer_columns, parse_map, read_mapped_file
from bot.io.native import ImportRow
from bot.platforms import REGISTRY
from tests.helpers.cli import cli_env, run_cli

SAMPLES = Path(__file__).parents[1] / "fixtures" / "import"
CASABLANCA = ZoneInfo("Africa/Casablanca")
UTC_ZONE = ZoneInfo("UTC")


def _normalize(platform: str, handle: str) -> str:
    return REGISTRY[platform].normalize_handle(handle)


def _read(path: Path, mapping: ColumnMap, tz: ZoneInfo = UTC_ZONE) -> list[ImportRow]:
    return read_mapped_file(path, mapping, tz=tz, normalize=_normalize)


def _write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(content, encoding="utf-8", newline="")
    return path


X = ColumnMap("x", "DGSN_MAROC")


# --- --map parsing and inference ---------------------------------------------------------


def test_parse_map() -> None:
    assert parse_map(" date = Date , followers=Followers,posts=Uploads") == {
        "date": "Date",
        "followers": "Followers",
        "posts": "Uploads",
    }
    assert parse_map("captured_at=When,followers=Subs")["date"] == "When"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("date=Date", "followers=COLUMN is required"),
        ("followers=F", "date=COLUMN is required"),
        ("date=Date,followers", "expected TARGET=COLUMN pairs"),
        ("date=Date,followers=", "expected TARGET=COLUMN pairs"),
        ("date=Date,followers=F,likes=L", "unknown target 'likes'"),
        ("date=Date,followers=F,followers=G", "followers is mapped twice"),
    ],
)
def test_parse_map_errors(text: str, needle: str) -> None:
    with pytest.raises(InputError, match=r"^--map: ") as caught:
        parse_map(text)
    assert needle in str(caught.value)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            ["date", "followers", "following", "tweets", "favorites"],
            {"date": "date", "followers": "followers", "following": "following", "posts": "tweets"},
        ),
        (
            ["date", "followers", "following", "media", "avg_likes", "avg_comments"],
            {"date": "date", "followers": "followers", "following": "following", "posts": "media"},
        ),
        (["date", "subs", "views"], {"date": "date", "followers": "subs"}),
        (["Date", "Followers", "Views"], {"date": "Date", "followers": "Followers"}),
    ],
    ids=["twitter", "instagram", "youtube", "twitch-capitalised"],
)
def test_social_blade_headers_are_recognised(header: list[str], expected: dict[str, str]) -> None:
    assert infer_columns(header) == expected


@pytest.mark.parametrize(
    ("header", "needle"),
    [
        (["date", "likes", "talking_about"], "no followers column"),  # Facebook: likes != followers
        (["day", "followers"], "no date column"),
        (["date", "subs", "followers"], "could all be followers"),
    ],
)
def test_unrecognised_headers_say_why(header: list[str], needle: str) -> None:
    problem = infer_columns(header)
    assert isinstance(problem, str) and needle in problem


# --- Reading ------------------------------------------------------------------------------


def test_social_blade_twitter_sample() -> None:
    rows = _read(SAMPLES / "socialblade-twitter-daily.csv", X, CASABLANCA)
    assert len(rows) == 6
    last_of_year = rows[4]
    assert last_of_year == ImportRow(
        line=6,
        platform="x",
        handle="DGSN_MAROC",
        # a date alone is the end of that local day: 23:59:59.999999 in Casablanca (UTC+1)
        captured_at=datetime(2021, 12, 31, 22, 59, 59, 999999, tzinfo=UTC),
        followers=317074,
        following=331,
        posts=11061,
        precision=1,
    )


def test_social_blade_youtube_sample_has_no_posts() -> None:
    rows = _read(SAMPLES / "socialblade-youtube-daily.csv", ColumnMap("youtube", "@dgsn"))
    assert [(r.followers, r.posts, r.following) for r in rows] == [
        (1230000, None, None),
        (1230000, None, None),
        (1240000, None, None),
    ]


def test_mapped_spreadsheet_sample() -> None:
    mapping = ColumnMap(
        "youtube",
        "@dgsn",
        parse_map("date=Date,followers=Followers,posts=Uploads"),
        date_format="%Y/%m/%d",
    )
    rows = _read(SAMPLES / "spreadsheet-mapped.csv", mapping)
    assert [(r.line, r.captured_at.day, r.followers, r.posts) for r in rows] == [
        (2, 29, 1230400, 512),
        (3, 30, 1230950, 513),
        (4, 31, 1231388, 515),
    ]


def test_handle_is_normalised_by_the_adapter() -> None:
    rows = _read(
        SAMPLES / "socialblade-youtube-daily.csv", ColumnMap("mastodon", "Dgsn@Social.Example")
    )
    assert rows[0].handle == "Dgsn@social.example"
    with pytest.raises(InputError, match=r"^--handle: invalid mastodon handle 'nobody'"):
        _read(SAMPLES / "socialblade-youtube-daily.csv", ColumnMap("mastodon", "nobody"))


@pytest.mark.parametrize(
    ("cell", "abbreviated", "followers", "precision"),
    [
        ("1234567", False, 1234567, 1),
        ('"1,234,567"', False, 1234567, 1),
        ("1 234 567", False, 1234567, 1),
        ("1'234'567", False, 1234567, 1),
        ("1.2M", True, 1_200_000, 100_000),
        ("1.23M", True, 1_230_000, 10_000),
        ("15K", True, 15_000, 1_000),
        ('"2,5K"', True, 2_500, 100),
        ("1.5b", True, 1_500_000_000, 100_000_000),
        ("", False, None, 1),
    ],
)
def test_counts(
    tmp_path: Path, cell: str, abbreviated: bool, followers: int | None, precision: int
) -> None:
    path = _write(tmp_path, f"date,followers\n2021-12-31,{cell}\n")
    (row,) = _read(path, ColumnMap("x", "DGSN_MAROC", abbreviated=abbreviated))
    assert (row.followers, row.precision) == (followers, precision)


@pytest.mark.parametrize(
    ("content", "mapping", "line", "needle"),
    [
        ("date,followers\n2021-12-31,1.2M\n", X, 2, "'1.2M' is an abbreviated, rounded count"),
        ("date,followers\n2021-12-31,1.234\n", X, 2, "'1.234' is ambiguous"),
        ("date,followers\n2021-12-31,1.5\n", X, 2, "'1.5' is not a whole number"),
        ("date,followers\n2021-12-31,-4\n", X, 2, "followers -4 is negative"),
        ("date,followers\n2021-12-31,n/a\n", X, 2, "'n/a' is not a whole number"),
        (
            "date,followers,tweets\n2021-12-31,5,1.2K\n",
            ColumnMap("x", "DGSN_MAROC", abbreviated=True),
            2,
            "only follower counts may be stored rounded",
        ),
        (
            "date,followers\n2021-12-31,1.2345K\n",
            ColumnMap("x", "DGSN_MAROC", abbreviated=True),
            2,
            "more decimals than its unit allows",
        ),
        ("date,followers\n2021-12-30,1\n31/12/2021,2\n", X, 3, "use --date-format"),
        (
            "date,followers\n2021-12-30,1\n2021-12-31,2\n",
            ColumnMap("x", "DGSN_MAROC", date_format="%d/%m/%Y"),
            2,
            "does not match --date-format %d/%m/%Y",
        ),
        ("date,followers\n2021-12-30,1\n2021-12-30,2\n", X, 3, "duplicate of line 2"),
        ("date,followers\n,1\n", X, 2, "date is empty"),
        ("date,followers\n2021-12-31,1,9\n", X, 2, "expected 2 cells as in the header, found 3"),
        ("day,count\n2021-12-31,1\n", X, 1, "not a Social Blade-style header"),
        (
            "Date,Followers\n2021-12-31,1\n",
            ColumnMap("x", "DGSN_MAROC", {"date": "Date", "followers": "Folowers"}),
            1,
            "no column 'Folowers' (for followers); the header has 'Date', 'Followers'",
        ),
        ("date,followers,followers\n", X, 1, "appears twice"),
        ("date,followers\n", X, 0, "no rows to import"),
        ('date,followers\n2021-12-31,"1\n', X, 2, "CSV syntax error"),
    ],
)
def test_errors_name_the_line(
    tmp_path: Path, content: str, mapping: ColumnMap, line: int, needle: str
) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(InputError) as caught:
        _read(path, mapping)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: " if line else f"{path}: ")
    assert needle in message and "\n" not in message


def test_every_error_is_counted(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,followers\n2021-12-29,x\n2021-12-30,1\nsoon,2\n2021-12-31,-1\n")
    with pytest.raises(InputError, match=r":2: .* \(and 2 more errors\)$"):
        _read(path, X)


def test_a_date_format_with_a_time_and_an_offset(tmp_path: Path) -> None:
    columns = {"date": "when", "followers": "n"}
    local = ColumnMap("x", "h", columns, date_format="%d.%m.%Y %H:%M")
    (first,) = _read(_write(tmp_path, "when,n\n31.12.2021 23:30,1\n"), local, CASABLANCA)
    assert first.captured_at == datetime(2021, 12, 31, 22, 30, tzinfo=UTC)  # local, UTC+1
    aware = ColumnMap("x", "h", columns, date_format="%d.%m.%Y %H:%M %z")
    (second,) = _read(_write(tmp_path, "when,n\n31.12.2021 23:30 +0000,2\n"), aware, CASABLANCA)
    assert second.captured_at == datetime(2021, 12, 31, 23, 30, tzinfo=UTC)


# --- `bot import` (SQLite and PostgreSQL) -------------------------------------------------


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    return cli_env(monkeypatch, tmp_path, database_url, '[bot]\ntimezone = "Africa/Casablanca"\n')


def test_import_social_blade_export_twice(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample = str(SAMPLES / "socialblade-twitter-daily.csv")
    args = ("import", sample, "--platform", "x", "--handle", "DGSN_MAROC")
    first = run_cli(capsys, *args)
    assert first.code == 0, first.err
    assert "6 rows read, 6 snapshots added, 0 already stored" in first.out
    again = run_cli(capsys, *args)
    assert "6 rows read, 0 snapshots added, 6 already stored" in again.out
    exported = run_cli(capsys, "export", "--format", "jsonl").out.splitlines()
    rows = [json.loads(line) for line in exported]
    assert len(rows) == 6 and {r["source"] for r in rows} == {"import"}
    assert rows[4]["followers"] == 317074 and rows[4]["posts"] == 11061


def test_import_with_a_map(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(
        capsys, "import", str(SAMPLES / "spreadsheet-mapped.csv"),
        "--platform", "YouTube", "--handle", "@dgsn",
        "--map", "date=Date,followers=Followers,posts=Uploads", "--date-format", "%Y/%m/%d",
    )  # fmt: skip
    assert result.code == 0, result.err
    shots = json.loads(run_cli(capsys, "snapshots", "youtube:@dgsn", "-f", "json").out)
    assert [s["followers"] for s in shots] == [1230400, 1230950, 1231388]


def test_rounded_import_keeps_its_precision(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (env / "rounded.csv").write_text("date,subs\n2020-12-31,1.2M\n2021-12-31,1.2M\n")
    args = ("import", "rounded.csv", "--platform", "youtube", "--handle", "@dgsn")
    refused = run_cli(capsys, *args)
    assert refused.code == 2 and "rounded.csv:2: followers '1.2M'" in refused.err
    assert run_cli(capsys, *args, "--abbreviated").code == 0
    report = json.loads(run_cli(capsys, "report", "--year", "2021", "-f", "json").out)
    (line,) = report["accounts"]
    assert line["followers_change"] == 0 and line["followers_growth_pct"] == 0.0


def test_bad_mapped_file_writes_nothing(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (env / "bad.csv").write_text("date,followers\n2021-12-30,10\n2021-12-31,1.2K\n")
    result = run_cli(capsys, "import", "bad.csv", "--platform", "x", "--handle", "Someone")
    assert result.code == 2 and "bad.csv:3:" in result.err
    missing = run_cli(capsys, "snapshots", "x:Someone", "-f", "json")
    assert missing.code == 1  # the account was never created


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--platform", "x"), "--platform and --handle go together"),
        (("--handle", "DGSN_MAROC"), "--platform and --handle go together"),
        (("--map", "date=d,followers=f"), "--map only apply with --platform and --handle"),
        (("--abbreviated",), "--abbreviated only apply with"),
        (("--platform", "myspace", "--handle", "tom"), "--platform: unknown platform 'myspace'"),
        (("--platform", "x", "--handle", "h", "--map", "date=d"), "--map: followers=COLUMN"),
        (("--platform", "x", "--handle", "not a handle!"), "--handle: invalid x handle"),
    ],
)
def test_import_option_mistakes(
    env: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], needle: str
) -> None:
    result = run_cli(capsys, "import", str(SAMPLES / "socialblade-twitter-daily.csv"), *args)
    assert result.code == 2
    assert needle in result.err and result.err.strip().count("\n") == 0


def test_native_files_still_import(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed = Path(__file__).parents[1] / "fixtures" / "seed" / "dgsn-maroc-2021.csv"
    result = run_cli(capsys, "import", str(seed))
    assert result.code == 0 and "12 snapshots added" in result.out
    with_account = run_cli(capsys, "import", str(seed), "--platform", "x", "--handle", "DGSN_MAROC")
    assert with_account.code == 2 and "not a Social Blade-style header" in with_account.err
