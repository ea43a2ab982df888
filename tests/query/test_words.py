"""The query layer: the user's words -> typed arguments, with one error per face's spelling."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.errors import InputError
from bot.io.mapped import ColumnMap
from bot.output.text import API, CLI, Spelling
from bot.query import words

TZ = ZoneInfo("Europe/Paris")
SETTINGS = Settings(timezone=TZ)
NOW = datetime(2024, 3, 31, 22, 30, tzinfo=UTC)  # already Monday 1 April in Paris
END = timedelta(microseconds=1)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def since(text: str, spell: Spelling) -> Any:
    return words.since_until(text, None, TZ, spell)[0]


def until(text: str, spell: Spelling) -> Any:
    return words.since_until(None, text, TZ, spell)[1]


# (function of (words, spelling), words, the value it gives)
GOOD: list[tuple[Callable[[Any, Spelling], Any], Any, Any]] = [
    (since, "2021-12-31", utc(2021, 12, 30, 23)),
    (since, " 2021-12-31 ", utc(2021, 12, 30, 23)),
    (since, "2021-06-01T12:00", utc(2021, 6, 1, 10)),  # naive: local
    (since, "2021-06-01T12:00Z", utc(2021, 6, 1, 12)),
    (since, "2021-06-01T12:00:00+02:00", utc(2021, 6, 1, 10)),
    (until, "2021-12-31", utc(2021, 12, 31, 23) - END),  # a date ends with its day
    (until, "2024-03-31", utc(2024, 3, 31, 22) - END),  # the day clocks go forward
    (words.every, "raw", "raw"),
    (words.every, "day", "day"),
    (words.every, "week", "week"),
    (words.every, "month", "month"),
    (words.growth_period, "7d", "7d"),
    (words.growth_period, " 365D ", "365d"),
    (words.growth_period, "ytd", "ytd"),
    (words.growth_period, "90d", "90d"),
    (lambda text, s: words.at(text, TZ, NOW, s), None, NOW),
    (lambda text, s: words.at(text, TZ, NOW, s), "2021-12-31", utc(2021, 12, 31, 23) - END),
    (words.digest_period, "day", "day"),
    (words.digest_period, "week", "week"),
    (words.digest_period, "month", "month"),
    (lambda text, s: words.day(text, TZ, NOW, s), "today", date(2024, 4, 1)),
    (lambda text, s: words.day(text, TZ, NOW, s), " Yesterday ", date(2024, 3, 31)),
    (lambda text, s: words.day(text, TZ, NOW, s), "2024-02-29", date(2024, 2, 29)),
    (lambda text, s: words.digest_day(text, "day", TZ, NOW, s), None, date(2024, 4, 1)),
    (lambda text, s: words.digest_day(text, "day", TZ, NOW, s), "2024-03-01", date(2024, 3, 1)),
    # A week or a month: its last day; by default the last complete one.
    (lambda text, s: words.digest_day(text, "week", TZ, NOW, s), None, date(2024, 3, 31)),
    (lambda t, s: words.digest_day(t, "week", TZ, NOW, s), "2024-03-20", date(2024, 3, 24)),
    (lambda text, s: words.digest_day(text, "month", TZ, NOW, s), None, date(2024, 3, 31)),
    (lambda t, s: words.digest_day(t, "month", TZ, NOW, s), "2024-02-10", date(2024, 2, 29)),
    (words.png_output, Path("out/chart.PNG"), Path("out/chart.PNG")),
]


@pytest.mark.parametrize(("parse", "text", "value"), GOOD)
@pytest.mark.parametrize("spell", [CLI, API], ids=["cli", "api"])
def test_good_words(
    parse: Callable[[Any, Spelling], Any], text: Any, value: Any, spell: Spelling
) -> None:
    assert parse(text, spell) == value


# (function, words, the field named, what the message says after "--field: ")
BAD: list[tuple[Callable[[Any, Spelling], Any], Any, str, str]] = [
    (since, "yesterdayish", "since", "expected a date like 2021-12-31 or an ISO time, got"),
    (since, "2021-02-30", "since", "expected a date like 2021-12-31"),
    (until, "31/12/2021", "until", "expected a date like 2021-12-31"),
    (until, "  ", "until", "expected a date like 2021-12-31"),
    (words.every, "hour", "every", "expected one of raw, day, week, month, got 'hour'"),
    (words.every, "Day", "every", "expected one of raw, day, week, month, got 'Day'"),
    (words.growth_period, "banana", "period", "unknown period 'banana': expected one of 1d,"),
    (words.growth_period, "8d", "period", "unknown period '8d'"),
    (lambda text, s: words.at(text, TZ, NOW, s), "soon", "at", "expected a date like"),
    (words.digest_period, "year", "period", "expected one of day, week, month, got 'year'"),
    (lambda text, s: words.day(text, TZ, NOW, s), "2023-02-29", "date", "expected a date like"),
    (lambda text, s: words.day(text, TZ, NOW, s), "31/03/2024", "date", "expected a date like"),
    (
        lambda text, s: words.day(text, TZ, NOW, s),
        "tomorrow",
        "date",
        "expected a date like 2024-03-31, today or yesterday, got 'tomorrow'",
    ),
    (
        lambda text, s: words.digest_day(text, "day", TZ, NOW, s),
        "2024-04-02",
        "date",
        "2024-04-02 has not started yet in Europe/Paris",
    ),
    (
        lambda text, s: words.digest_day(text, "week", TZ, NOW, s),
        "today",
        "date",
        "the week 2024-04-01 to 2024-04-07 is not over yet in Europe/Paris"
        " (the last complete one ended 2024-03-31)",
    ),
    (
        lambda text, s: words.digest_day(text, "month", TZ, NOW, s),
        "2024-04-30",
        "date",
        "the month 2024-04-01 to 2024-04-30 is not over yet",
    ),
    (words.png_output, Path("chart.jpg"), "output", "expected a file name ending in .png"),
    (
        lambda year, s: words.report_period(year, None, None, SETTINGS, s, now=NOW),
        21,
        "year",
        "expected a year like 2021, got 21",
    ),
    (
        lambda year, s: words.report_period(year, None, None, SETTINGS, s, now=NOW),
        10000,
        "year",
        "expected a year like 2021",
    ),
    (
        lambda year, s: words.report_period(year, None, None, SETTINGS, s, now=NOW),
        2025,
        "year",
        "the year 2025 has not started yet in Europe/Paris (today is 2024-04-01)",
    ),
    (
        lambda start, s: words.report_period(None, start, "2024-12-31", SETTINGS, s, now=NOW),
        "2024-04-02",
        "from",
        "2024-04-02 has not started yet in Europe/Paris (today is 2024-04-01)",
    ),
    (
        lambda start, s: words.report_period(None, start, "2021-12-31", SETTINGS, s, now=NOW),
        "spring",
        "from",
        "expected a date like",
    ),
    (
        lambda end, s: words.report_period(None, "2021-01-01", end, SETTINGS, s, now=NOW),
        "2021-02-30",
        "to",
        "expected a date like",
    ),
    # Extreme dates: one line naming the field, never an OverflowError from the maths after.
    (until, "9999-12-31", "until", "expected a date from 1970-01-01 to 9998-12-31"),
    (since, "0001-01-01T00:00+01:00", "since", "expected a date from 1970-01-01 to 9998-12-31"),
    (since, "1969-12-31", "since", "expected a date from 1970-01-01"),
    (lambda text, s: words.at(text, TZ, NOW, s), "9999-12-31", "at", "expected a date from"),
    (lambda text, s: words.at(text, TZ, NOW, s), "0001-01-01", "at", "expected a date from"),
    (lambda t, s: words.digest_day(t, "day", TZ, NOW, s), "9999-12-31", "date", "expected a"),
    (lambda t, s: words.digest_day(t, "week", TZ, NOW, s), "0001-01-01", "date", "expected a"),
    (lambda text, s: words.snapshot_time(text, TZ, s), "9999-12-31T23:59Z", "at", "expected a"),
    (
        lambda start, s: words.report_period(None, start, "9999-12-31", SETTINGS, s, now=NOW),
        "0001-01-01",
        "from",
        "expected a date from 1970-01-01 to 9998-12-31, got '0001-01-01'",
    ),
]


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12", "UTC"])
@pytest.mark.parametrize("text", ["1970-01-01", "9998-12-31", "9998-12-31T23:59:59-12:00"])
def test_the_bounds_themselves_are_usable_in_every_zone(zone: str, text: str) -> None:
    tz = ZoneInfo(zone)
    first, last = words.since_until(text, text, tz, CLI)
    assert first is not None and last is not None
    assert words.at(text, tz, NOW, API).tzinfo == UTC


@pytest.mark.parametrize(("parse", "text", "field", "problem"), BAD)
def test_bad_words_name_their_field_in_each_face(
    parse: Callable[[Any, Spelling], Any], text: Any, field: str, problem: str
) -> None:
    with pytest.raises(InputError) as cli:
        parse(text, CLI)
    assert cli.value.field == field
    assert str(cli.value).startswith(f"--{field}: {problem}")
    with pytest.raises(InputError) as api:
        parse(text, API)
    assert api.value.field == field
    assert str(api.value).startswith(f"{field}: {problem}")


def test_a_report_is_a_year_or_a_range() -> None:
    year = words.report_period(2021, None, None, SETTINGS, CLI, now=NOW)
    assert (year.year, year.first, year.json_range) == (2021, utc(2020, 12, 31, 23), {"year": 2021})
    ranged = words.report_period(None, "2021-03-01", "2021-06-30T12:00Z", SETTINGS, API, now=NOW)
    assert ranged.year is None and ranged.first == utc(2021, 2, 28, 23)
    assert ranged.json_range == {"from": "2021-03-01", "to": "2021-06-30T12:00:00Z"}


def test_a_period_not_over_ends_now_and_names_its_days() -> None:
    # NOW is 00:30 on 1 April 2024 in Paris: 2024 is three months old.
    year = words.report_period(2024, None, None, SETTINGS, CLI, now=NOW)
    assert (year.first, year.last, year.complete) == (utc(2023, 12, 31, 23), NOW, False)
    assert (year.first_day, year.last_day, year.asked_last_day) == (
        date(2024, 1, 1),
        date(2024, 4, 1),
        date(2024, 12, 31),
    )
    assert year.against_day == date(2023, 12, 31)
    ranged = words.report_period(None, "2024-03-01", "2024-06-30", SETTINGS, API, now=NOW)
    assert (ranged.last, ranged.last_day, ranged.asked_last_day) == (
        NOW,
        date(2024, 4, 1),
        date(2024, 6, 30),
    )
    assert ranged.against_day == date(2024, 3, 1) and not ranged.complete
    # A year that is over is whole, its eve the day compared with.
    whole = words.report_period(2023, None, None, SETTINGS, CLI, now=NOW)
    assert whole.complete and whole.last == utc(2023, 12, 31, 23) - timedelta(microseconds=1)
    # New Year in Paris comes before New Year in UTC: the local year has started.
    paris_new_year = datetime(2024, 12, 31, 23, 30, tzinfo=UTC)
    started = words.report_period(2025, None, None, SETTINGS, CLI, now=paris_new_year)
    assert (started.first_day, started.last_day) == (date(2025, 1, 1), date(2025, 1, 1))


@pytest.mark.parametrize(
    ("given", "field", "cli", "api"),
    [
        (
            (None, None, None),
            "year",
            "report: give either --year YYYY or --from D --to D (exactly one of them)",
            "report: give either year=YYYY or from=D&to=D (exactly one of them)",
        ),
        (
            (2021, "2021-01-01", None),
            "year",
            "report: give either --year YYYY or --from D --to D (exactly one of them)",
            "report: give either year=YYYY or from=D&to=D (exactly one of them)",
        ),
        (
            (None, "2021-01-01", None),
            "to",
            "report: --to is missing (--from D --to D)",
            "report: to is missing (from=D&to=D)",
        ),
        (
            (None, None, "2021-01-01"),
            "from",
            "report: --from is missing (--from D --to D)",
            "report: from is missing (from=D&to=D)",
        ),
        (
            (None, "2021-05-01", "2021-01-01"),
            "to",
            "--to (2021-01-01) is before --from (2021-05-01)",
            "to (2021-01-01) is before from (2021-05-01)",
        ),
    ],
)
def test_report_mistakes_are_spelled_for_each_face(
    given: tuple[int | None, str | None, str | None], field: str, cli: str, api: str
) -> None:
    for spell, message in ((CLI, cli), (API, api)):
        with pytest.raises(InputError) as caught:
            words.report_period(*given, SETTINGS, spell, now=NOW)
        assert (str(caught.value), caught.value.field) == (message, field)


def test_import_options() -> None:
    assert words.import_mapping(None, None, None, None, False, CLI) is None
    mapping = words.import_mapping(" YouTube ", "@acme", "date=Day,followers=Subs", None, True, CLI)
    assert mapping == ColumnMap(
        "youtube", "@acme", {"date": "Day", "followers": "Subs"}, None, True
    )


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        (
            (None, None, "date=D,followers=F", "%d/%m/%Y", True),
            "platform",
            "import: --map, --date-format, --abbreviated only apply with --platform and --handle",
        ),
        (
            ("x", None, None, None, False),
            "handle",
            "import: --platform and --handle go together (one account per file)",
        ),
        (
            ("myspace", "tom", None, None, False),
            "platform",
            "--platform: unknown platform 'myspace' (known: ",
        ),
        (("x", "acme", "date=Day", None, False), "map", "--map: followers=COLUMN is required"),
    ],
)
def test_import_option_mistakes(
    options: tuple[str | None, str | None, str | None, str | None, bool], field: str, message: str
) -> None:
    with pytest.raises(InputError) as caught:
        words.import_mapping(*options, CLI)
    assert caught.value.field == field and str(caught.value).startswith(message)


def test_spellings() -> None:
    assert CLI.given(("from", "D"), ("to", "D")) == "--from D --to D"
    assert API.given(("from", "D"), ("to", "D")) == "from=D&to=D"
    assert CLI.choice("format", "csv", ("table", "csv")) == "csv"
    with pytest.raises(InputError, match=r"^--format: expected one of table, csv, got 'xml'$"):
        CLI.choice("format", "xml", ("table", "csv"))
