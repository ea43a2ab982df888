"""bot.io.figures: published figures files, validated whole; every problem names FILE:LINE."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InputError
from bot.io.figures import FigureRow, read_figures_file
from bot.platforms import REGISTRY

HEADER = "platform,handle,from,to,metric,value\n"
TODAY = date(2026, 12, 1)


def _normalize(platform: str, handle: str) -> str:
    return REGISTRY[platform].normalize_handle(handle)


def _read(path: Path) -> list[FigureRow]:
    return read_figures_file(
        path,
        today=TODAY,
        tz=ZoneInfo("Africa/Casablanca"),
        platforms=REGISTRY,
        normalize=_normalize,
    )


def _error(tmp_path: Path, content: str) -> str:
    path = tmp_path / "figures.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        _read(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path))
    return message.removeprefix(str(path))


def test_followers_counts_and_published_totals(tmp_path: Path) -> None:
    path = tmp_path / "figures.csv"
    path.write_text(
        "Platform,Handle,Metric,From,To,Value\n"  # any order, any case
        "x,DGSN_MAROC,followers,,2020-12-31,226481\n"
        'x,@DGSN_MAROC,posts_published,2021-01-01,2021-12-31,"1,061"\n'
        "facebook,DGSN.MAROC,followers,2021-01-01,2021-12-31,282 638\n"
        "\n",
        encoding="utf-8",
    )
    assert _read(path) == [
        FigureRow(2, "x", "DGSN_MAROC", "followers", None, date(2020, 12, 31), 226481),
        FigureRow(
            3, "x", "DGSN_MAROC", "posts_published", date(2021, 1, 1), date(2021, 12, 31), 1061
        ),
        FigureRow(
            4, "facebook", "DGSN.MAROC", "followers", date(2021, 1, 1), date(2021, 12, 31), 282638
        ),
    ]


X = "x,DGSN_MAROC,"
GOOD = X + "2021-01-01,2021-12-31,posts_published,1061\n"
ERRORS = [
    (
        "header",
        "platform,handle,to,metric,value\n" + GOOD,
        ":1: bad header: missing required column(s): from",
    ),
    ("unknown column", HEADER.strip() + ",note\n", ":1: bad header: unknown column(s): 'note'"),
    (
        "metric",
        HEADER + X + "2021-01-01,2021-12-31,likes,5\n",
        ":2: metric 'likes' is not one of followers, posts_published",
    ),
    (
        "date",
        HEADER + GOOD + X + "2021-13-01,2021-12-31,posts_published,5\n",
        ":3: from '2021-13-01' is not a date like 2021-12-31",
    ),
    ("no to", HEADER + X + "2021-01-01,,posts_published,5\n", ":2: to is empty"),
    (
        "no from",
        HEADER + X + ",2021-12-31,posts_published,5\n",
        ":2: from is empty: posts_published is a total from one day to another",
    ),
    (
        "backwards",
        HEADER + X + "2022-01-01,2021-12-31,posts_published,5\n",
        ":2: to 2021-12-31 is before from 2022-01-01",
    ),
    (
        "future",
        HEADER + X + "2026-01-01,2026-12-31,posts_published,5\n",
        ":2: to 2026-12-31 is after today (2026-12-01 in Africa/Casablanca)",
    ),
    ("negative", HEADER + X + ",2021-12-31,followers,-5\n", ":2: value '-5' is not a whole number"),
    ("decimal", HEADER + X + ",2021-12-31,followers,1.5\n", ":2: value '1.5' is not a whole"),
    ("empty value", HEADER + X + ",2021-12-31,followers,\n", ":2: value is empty"),
    (
        "huge",
        HEADER + X + ",2021-12-31,followers,99999999999999999999\n",
        ":2: value 99999999999999999999 is too large",
    ),
    ("platform", HEADER + "myspace,tom,,2021-12-31,followers,1\n", ":2: unknown platform"),
    (
        "duplicate",
        HEADER + GOOD + GOOD.replace("1061", "1062"),
        ":3: duplicate of line 2: x:DGSN_MAROC posts_published 2021-01-01..2021-12-31",
    ),
    (
        "duplicate in another case",  # X names one account in any case
        HEADER + GOOD + "x,dgsn_maroc,2021-01-01,2021-12-31,posts_published,1062\n",
        ":3: duplicate of line 2: x:dgsn_maroc posts_published 2021-01-01..2021-12-31",
    ),
    ("cells", HEADER + X + "2021-12-31\n", ":2: expected 6 cells as in the header, found 3"),
    (
        "several",
        HEADER + X + ",2021-12-31,followers,-1\n" + X + ",2020-12-31,followers,-2\n",
        ":2: value '-1' is not a whole number (and 1 more error)",
    ),
    ("empty", HEADER, ": no figures to import"),
]


@pytest.mark.parametrize(
    ("content", "expected"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_bad_rows_are_named_by_file_and_line(tmp_path: Path, content: str, expected: str) -> None:
    assert _error(tmp_path, content).startswith(expected)
