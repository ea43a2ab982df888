"""One rule per way a value is written: numbers, changes, percentages, Markdown, account names."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.output.text import (
    account_key,
    change,
    cleaned,
    code,
    html,
    iso,
    isolate,
    labelled,
    literal,
    md,
    number,
    percent,
    plain,
    signed,
    spreadsheet,
    storable,
    unspreadsheet,
    who,
    width,
)


@pytest.mark.parametrize(
    ("write", "value", "shown"),
    [
        (number, 317074, "317,074"),
        (number, 0, "0"),
        (number, None, "—"),
        (signed, 90592, "+90,592"),
        (signed, -1234, "-1,234"),
        (signed, 0, "0"),
        (signed, None, "—"),
        (percent, 47.2812, "+47.28%"),
        (percent, -0.5, "-0.50%"),
        (percent, 0.0, "+0.00%"),
        (percent, None, "—"),
    ],
)
def test_numbers(write: Callable[[Any], str], value: Any, shown: str) -> None:
    assert write(value) == shown


@pytest.mark.parametrize(
    ("value", "pct", "shown"),
    [
        (90592, 40.0, "+90,592 (+40.00%)"),
        (-5, None, "-5"),
        (0, 0.0, "0 (+0.00%)"),
        (None, 3.0, "—"),
    ],
)
def test_changes(value: int | None, pct: float | None, shown: str) -> None:
    assert change(value, pct) == shown


def test_markdown_escaping_beyond_the_reports_cases() -> None:
    # The report's cases are in tests/query/test_report_formats.py; these are the digest's.
    assert md("x:acme_news") == "x:acme_news"
    assert md("back\\slash") == "back\\\\slash"
    assert md("Acme_") == "Acme\\_"


def test_account_names() -> None:
    assert account_key("x", "DGSN_MAROC") == "x:DGSN_MAROC"
    # Labels sit between direction isolates (issue 11: an Arabic label keeps its place).
    assert who("x", "acme", "Acme on X") == "\u2068Acme on X\u2069 (x:acme)"
    assert who("x", "acme", None) == "x:acme" == who("x", "acme", "")
    assert labelled("Acme", "`x:acme`") == "\u2068Acme\u2069 (`x:acme`)"


def test_json_values() -> None:
    moment = datetime(2021, 12, 31, 23, 0, tzinfo=UTC)
    assert iso(moment) == "2021-12-31T23:00:00Z"
    assert plain({"at": moment, "days": (date(2021, 1, 1),), "n": 1}) == {
        "at": "2021-12-31T23:00:00Z",
        "days": ["2021-01-01"],
        "n": 1,
    }


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("DGSN [archive] المديرية", "DGSN [archive] المديرية"),  # brackets and Arabic as they are
        ("clear\x1b[2Jscreen", "clear\\x1b[2Jscreen"),
        ("\x1b]8;;http://evil/\x1b\\link", "\\x1b]8;;http://evil/\\x1b\\link"),
        ("csi\x9b31m", "csi\\x9b31m"),
        ("nul\x00 bell\x07 del\x7f", "nul\\x00 bell\\x07 del\\x7f"),
        ("a\tb\nc\r\nd\u2028e", "a b c  d e"),
        ("abc\u202edef \u2066x\u2069", "abc\\u202edef \\u2066x\\u2069"),
        ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
        ("zero\u200dwidth joiner and \u200f mark", "zero\u200dwidth joiner and \u200f mark"),
    ],
)
def test_literal_shows_what_a_terminal_would_obey(text: str, shown: str) -> None:
    assert literal(text) == shown
    assert literal(shown) == shown  # nothing left to escape: showing twice changes nothing
    shown.encode("utf-8")  # and it can always be written


@given(st.text(st.characters(exclude_categories=())))  # lone surrogates included
def test_storable_text_is_held_by_any_database_and_shown_as_the_raw_text_would_be(
    text: str,
) -> None:
    stored = storable(text)
    assert "\x00" not in stored
    stored.encode("utf-8")  # no lone surrogate left
    assert literal(stored) == literal(text)  # shown exactly as the platform's own words
    if "\x00" not in text and not any("\ud800" <= c <= "\udfff" for c in text):
        assert stored == text  # every other character kept for `literal` to show


def test_cleaned_is_what_an_adapter_stores() -> None:
    assert cleaned("  Evil\x00\x1b[2J\u202eName\n") == "Evil[2JName"
    assert cleaned("\x00\u202e") == ""
    assert cleaned("المديرية العامة") == "المديرية العامة"


def test_isolates_wrap_a_label_and_take_no_cell() -> None:
    assert isolate("DGSN \u202e") == "\u2068DGSN \\u202e\u2069"
    assert width(isolate("Acme")) == 4 and width("المديرية") == 8
    assert html(who("x", "acme", "<Acme>")) == "<bdi>&lt;Acme&gt;</bdi> (x:acme)"


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("x:acme", "`x:acme`"),
        ("mastodon:ev`il@x.social", "``mastodon:ev`il@x.social``"),
        ("a``b", "```a``b```"),
        ("`edge`", "`` `edge` ``"),
        ("esc\x1b", "`esc\\x1b`"),
    ],
)
def test_code_spans_hold_any_backticks(text: str, span: str) -> None:
    assert code(text) == span


def test_markdown_escapes_strike_and_entities() -> None:
    assert md("~~gone~~ &amp;") == "\\~\\~gone\\~\\~ \\&amp;"


@pytest.mark.parametrize(
    ("cell", "guarded"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-1001234", "'-1001234"),
        ("@telegram", "'@telegram"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),
        ("'quoted", "'quoted"),
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_spreadsheet_cells_never_start_a_formula(cell: str, guarded: str) -> None:
    assert spreadsheet(cell) == guarded
    assert unspreadsheet(guarded) == cell


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_is_shown_safely_and_guarded_reversibly(text: str) -> None:
    shown = literal(text)
    assert not [c for c in shown if unicodedata.category(c) in ("Cc", "Cs")]
    assert not set(shown) & set(
        "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    )
    shown.encode("utf-8")
    assert unspreadsheet(spreadsheet(text)) == text
    assert spreadsheet(text)[:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert "\x00" not in cleaned(text) and cleaned(text) == cleaned(text).strip()
