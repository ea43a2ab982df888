"""`bot report` as text, Markdown, table, CSV and JSON; --year or --from/--to; group totals.

Golden files in tests/fixtures/report/ were produced from tests/fixtures/report/history.csv and
checked by hand: the same history read in Pacific/Auckland (UTC+13 at New Year) and in UTC puts
the 23:30/00:30 local snapshots on different sides of the year, a leap day starts a range, an
account has no data, one starts mid-year, one has no post count, and one has rounded counts.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.growth import Point, report_line
from bot.output.text import md
from bot.query.report import GroupTotal, group_totals
from bot.query.report_text import account_name, platform_title
from bot.query.rows import ReportEntry
from tests.helpers.cli import run_cli

FIXTURES = Path(__file__).parents[1] / "fixtures"
REPORT = FIXTURES / "report"
SEED = FIXTURES / "seed" / "dgsn-maroc-2021.csv"


def _setup(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    tz: str,
) -> None:
    """A config with five accounts in ``tz`` and the fixed history imported."""
    monkeypatch.chdir(tmp_path)
    config = (REPORT / "accounts.toml").read_text().replace("{tz}", tz)
    (tmp_path / "accounts.toml").write_text(config)
    monkeypatch.setenv("BOT_CONFIG", str(tmp_path / "accounts.toml"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert run_cli(capsys, "import", str(REPORT / "history.csv")).code == 0
    rounded = run_cli(
        capsys, "import", str(REPORT / "youtube-abbreviated.csv"),
        "--platform", "youtube", "--handle", "@dgsnchannel", "--abbreviated",
    )  # fmt: skip
    assert rounded.code == 0, rounded.err


@pytest.mark.parametrize(
    ("tz", "args", "golden"),
    [
        ("Pacific/Auckland", ("--year", "2021", "-f", "text"), "2021-pacific-auckland.txt"),
        ("Pacific/Auckland", ("--year", "2021", "-f", "markdown"), "2021-pacific-auckland.md"),
        ("Pacific/Auckland", ("--year", "2021", "-f", "json"), "2021-pacific-auckland.json.golden"),
        ("UTC", ("--year", "2021", "-f", "text"), "2021-utc.txt"),
        (
            "UTC",
            ("--from", "2020-03-01", "--to", "2020-12-31", "-f", "text"),
            "2020-03-01-to-2020-12-31-utc.txt",
        ),
    ],
    ids=["auckland-text", "auckland-markdown", "auckland-json", "utc-text", "utc-range-leap-day"],
)
def test_golden_reports(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    tz: str,
    args: tuple[str, ...],
    golden: str,
) -> None:
    _setup(monkeypatch, tmp_path, database_url, capsys, tz)
    result = run_cli(capsys, "report", *args)
    assert result.code == 0, result.err
    assert result.out == (REPORT / golden).read_text(encoding="utf-8")


def test_the_zone_decides_which_side_of_new_year_a_snapshot_is_on(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _setup(monkeypatch, tmp_path, database_url, capsys, "Pacific/Auckland")
    report = json.loads(run_cli(capsys, "report", "--year", "2021", "-f", "json").out)
    comms = next(a for a in report["accounts"] if a["platform"] == "mastodon")
    # 2021-12-31T11:30Z is 00:30 on 1 Jan 2022 in Auckland: not part of 2021 there.
    assert (comms["start"]["followers"], comms["end"]["followers"]) == (1000, 1500)
    assert comms["end"]["date"] == "2021-12-31"


def test_json_keeps_the_documented_shape(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _setup(monkeypatch, tmp_path, database_url, capsys, "UTC")
    year = json.loads(run_cli(capsys, "report", "--year", "2021", "-f", "json").out)
    assert list(year) == ["year", "span", "accounts", "groups"] and year["year"] == 2021
    assert year["span"] == {
        "start_at": "2021-01-01T00:00:00Z",
        "end_at": "2021-12-31T23:59:59.999999Z",
        "first_day": "2021-01-01",
        "last_day": "2021-12-31",
        "against": "2020-12-31",
        "complete": True,
    }
    keys = {"platform", "handle", "start", "end", "followers_change", "followers_growth_pct"}
    for account in year["accounts"]:
        assert set(account) == keys | {"posts_in_period", "posts_source"}
        for end in (account["start"], account["end"]):
            assert end is None or set(end) == {"date", "followers", "posts"}
    ranged = run_cli(
        capsys, "report", "--from", "2021-01-01", "--to", "2021-12-31T18:00", "-f", "json"
    )
    document = json.loads(ranged.out)
    assert list(document) == ["from", "to", "span", "accounts", "groups"]
    assert document["span"]["against"] == "2021-01-01" and document["span"]["complete"]
    assert (document["from"], document["to"]) == ("2021-01-01", "2021-12-31T18:00:00Z")
    # The same whole year as a range gives the same figures.
    whole = json.loads(
        run_cli(capsys, "report", "--from", "2021-01-01", "--to", "2021-12-31", "-f", "json").out
    )
    assert whole["accounts"] == year["accounts"] and whole["groups"] == year["groups"]


def test_table_and_csv_still_go_through_the_shared_formatter(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _setup(monkeypatch, tmp_path, database_url, capsys, "UTC")
    table = run_cli(capsys, "report", "--year", "2021").out
    assert "Annual report 2021" in table and "+50.50%" in table
    assert "Groups" in table and "3 of 5" in table and "+300,570" in table
    rows = list(
        csv.DictReader(io.StringIO(run_cli(capsys, "report", "--year", "2021", "-f", "csv").out))
    )
    assert [r["platform"] for r in rows] == ["bluesky", "mastodon", "telegram", "x", "youtube"]
    assert rows[1]["followers_growth_pct"] == "50.5" and rows[2]["end_followers"] == ""
    # Other commands keep their three formats.
    refused = run_cli(capsys, "accounts", "--format", "text")
    assert refused.code == 2 and "expected one of table, csv, json" in " ".join(refused.err.split())


def test_seed_sentence_reads_like_the_published_report(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "accounts.toml").write_text('[bot]\ntimezone = "Africa/Casablanca"\n')
    monkeypatch.setenv("BOT_CONFIG", str(tmp_path / "accounts.toml"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert run_cli(capsys, "import", str(SEED)).code == 0
    text = run_cli(capsys, "report", "--year", "2021", "-f", "text").out
    assert (
        "X (@DGSN_MAROC): 317,074 followers on 31 Dec 2021, +90,592 (+40.00%) on a year before;"
        " 1,061 posts published.\n"
    ) in text
    assert "Facebook (@DGSN.MAROC): 282,638 followers on 31 Dec 2021, +90,735 (+47.28%)" in text
    markdown = run_cli(capsys, "report", "--year", "2021", "-f", "markdown").out
    assert "| X (@DGSN_MAROC) | 317,074 | 31 Dec 2021 | +90,592 | +40.00% | 1,061 |" in markdown


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ((), "give either --year YYYY or --from D --to D"),
        (("--year", "2021", "--from", "2021-01-01"), "exactly one of them"),
        (("--year", "2021", "--to", "2021-12-31"), "exactly one of them"),
        (("--from", "2021-01-01"), "--to is missing"),
        (("--to", "2021-01-01"), "--from is missing"),
        (("--from", "2021-05-01", "--to", "2021-01-01"), "--to (2021-01-01) is before --from"),
        (("--from", "spring", "--to", "2021-01-01"), "--from: expected a date"),
        (("--from", "2021-01-01", "--to", "2021-02-30"), "--to: expected a date"),
        (("--year", "21"), "--year: expected a year like 2021"),
    ],
)
def test_report_mistakes_are_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    needle: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "accounts.toml").write_text("[bot]\n")
    monkeypatch.setenv("BOT_CONFIG", str(tmp_path / "accounts.toml"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = run_cli(capsys, "report", *args)
    assert result.code == 2
    assert needle in result.err and result.err.strip().count("\n") == 0


def test_unknown_format_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "report", "--year", "2021", "-f", "xml")
    assert result.code == 2
    message = " ".join(result.err.replace("│", " ").split())
    assert "table, csv, json, text, markdown, html, xlsx, got 'xml'" in message


# --- Pure parts ----------------------------------------------------------------------------


def _entry(
    platform: str,
    start: tuple[int | None, int | None] | None,
    end: tuple[int | None, int | None] | None,
    groups: tuple[str, ...] = ("all",),
    precision: int = 1,
) -> ReportEntry:
    def point(when: datetime, pair: tuple[int | None, int | None] | None) -> Point | None:
        return None if pair is None else Point(when, pair[0], None, pair[1], precision)

    line = report_line(
        point(datetime(2020, 12, 31, tzinfo=UTC), start),
        point(datetime(2021, 12, 31, tzinfo=UTC), end),
    )
    return ReportEntry(platform, "h", None, groups, line)


def test_group_totals_count_only_accounts_with_both_ends() -> None:
    entries = [
        _entry("mastodon", (1000, 10), (1500, 30)),
        _entry("bluesky", (200, None), (260, None)),
        _entry("x", None, (5000, 7)),  # no start: left out of every sum
        _entry("telegram", None, None),
        _entry("github", (100, 1), (90, 3), groups=("other",)),
    ]
    totals = {t.group: t for t in group_totals(entries)}
    assert list(totals) == ["all", "other"]
    assert totals["all"] == GroupTotal(
        group="all",
        accounts=4,
        counted=2,
        start_followers=1200,
        end_followers=1760,
        followers_change=560,
        followers_growth_pct=46.67,
        posts_in_period=20,
        posts_accounts=1,
        rounded=False,
    )
    assert totals["other"].followers_change == -10 and totals["other"].followers_growth_pct == -10.0


def test_group_of_rounded_counts_is_marked_and_keeps_the_rounding_rule() -> None:
    # 1.23M -> 1.23M + 400 is below the 10,000 step: no change, as for the account itself.
    totals = group_totals(
        [_entry("youtube", (1_230_000, None), (1_230_400, None), precision=10_000)]
    )
    assert totals[0].followers_change == 0 and totals[0].rounded


def test_group_with_nothing_comparable() -> None:
    (total,) = group_totals([_entry("x", None, (5, None))])
    assert (total.counted, total.end_followers, total.followers_growth_pct) == (0, None, None)


@pytest.mark.parametrize(
    ("platform", "handle", "label", "shown"),
    [
        ("x", "DGSN_MAROC", None, "X (@DGSN_MAROC)"),
        ("mastodon", "dgsn@social.example", None, "Mastodon (@dgsn@social.example)"),
        ("youtube", "@dgsn", None, "YouTube (@dgsn)"),
        ("youtube", "UCabcdefghijklmnopqrstuv", None, "YouTube (UCabcdefghijklmnopqrstuv)"),
        ("reddit", "r/Morocco", None, "Reddit (r/Morocco)"),
        ("telegram", "-1001234", None, "Telegram (-1001234)"),
        # A label sits between direction isolates (issue 11: every script keeps its order).
        ("github", "octocat", "Our code", "\u2068Our code\u2069 (@octocat)"),
        ("json", "forum-members", "Forum", "\u2068Forum\u2069 (forum-members)"),
    ],
)
def test_account_names(platform: str, handle: str, label: str | None, shown: str) -> None:
    entry = ReportEntry(platform, handle, label, (), report_line(None, None))
    assert account_name(entry) == shown


def test_platform_titles_come_from_the_registry() -> None:
    assert platform_title("github") == "GitHub" and platform_title("json") == "JSON source"
    assert platform_title("myspace") == "myspace"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("DGSN_MAROC", "DGSN_MAROC"),
        ("_private_", "\\_private\\_"),
        ("a|b", "a\\|b"),
        ("*bold* [link] <b> `code` #1", "\\*bold\\* \\[link\\] \\<b\\> \\`code\\` \\#1"),
    ],
)
def test_markdown_escaping(text: str, escaped: str) -> None:
    assert md(text) == escaped


def test_dates_are_english_whatever_the_locale() -> None:
    from bot.query.report_text import day_text

    assert day_text(date(2020, 2, 29)) == "29 Feb 2020"
