"""One rule per way a value is written: numbers, changes, percentages, Markdown, account names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.output.text import (
    account_key,
    change,
    iso,
    labelled,
    md,
    number,
    percent,
    plain,
    signed,
    who,
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
    assert who("x", "acme", "Acme on X") == "Acme on X (x:acme)"
    assert who("x", "acme", None) == "x:acme" == who("x", "acme", "")
    assert labelled("Acme", "`x:acme`") == "Acme (`x:acme`)"


def test_json_values() -> None:
    moment = datetime(2021, 12, 31, 23, 0, tzinfo=UTC)
    assert iso(moment) == "2021-12-31T23:00:00Z"
    assert plain({"at": moment, "days": (date(2021, 1, 1),), "n": 1}) == {
        "at": "2021-12-31T23:00:00Z",
        "days": ["2021-01-01"],
        "n": 1,
    }
