"""Hypothesis over the edges that take the user's input: the query words, the API's query
parameters and the importer. Bounded here (``BOT_FUZZ_EXAMPLES``, default 40 each); the long
run is bench/fuzz_inputs.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.config import Settings
from tests.helpers import fuzz_inputs as fuzz

EXAMPLES = int(os.environ.get("BOT_FUZZ_EXAMPLES", "40"))
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def target(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Engine, Settings, TestClient]]:
    with fuzz.fuzz_target(tmp_path_factory.mktemp("fuzz")) as made:
        yield made


@BOUNDED
@given(text=fuzz.date_words(), zone=st.sampled_from(fuzz.ZONES))
def test_query_words_answer_a_value_or_one_line_naming_the_field(text: str, zone: Any) -> None:
    assert fuzz.check_words(text, zone) is None


@BOUNDED
@given(year=st.integers(-(2**70), 2**70))
def test_any_year_is_a_period_or_one_line(year: int) -> None:
    assert fuzz.check_year(year) is None


@BOUNDED
@given(path=fuzz.api_requests())
def test_api_query_parameters_never_answer_500(
    target: tuple[Engine, Settings, TestClient], path: str
) -> None:
    assert fuzz.check_api(target[2], path) is None


@BOUNDED
@given(rows=fuzz.import_rows(), kind=st.sampled_from(["csv", "jsonl"]))
def test_import_stores_or_refuses_in_one_line_with_nothing_half_written(
    target: tuple[Engine, Settings, TestClient],
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[dict[str, Any]],
    kind: str,
) -> None:
    engine, config, _ = target
    path = fuzz.write_import_file(tmp_path_factory.mktemp("file"), rows, kind)
    assert fuzz.check_import(engine, config, path) is None


@pytest.mark.parametrize(
    "path",
    [
        "/growth?at=9998-12-31T23%3A59%3A59-12%3A00",
        "/accounts/x/DGSN_MAROC/snapshots?since=1970-01-01&every=month",
        "/digest?date=1970-01-01&period=month",
        "/report?from=1970-01-01&to=9998-12-31",
    ],
)
def test_the_bounds_answer_200_or_a_named_400(
    target: tuple[Engine, Settings, TestClient], path: str
) -> None:
    assert fuzz.check_api(target[2], path) is None


def test_a_hostile_import_row_is_one_line_naming_its_line(
    target: tuple[Engine, Settings, TestClient], tmp_path: Path
) -> None:
    engine, config, _ = target
    path = fuzz.write_import_file(
        tmp_path,
        [
            {"platform": "x", "handle": "ok_one", "captured_at": "2024-01-01", "followers": 1},
            {"platform": "bluesky", "handle": "bsky\x00.app", "captured_at": "2024-01-01"},
        ],
        "jsonl",
    )
    assert fuzz.check_import(engine, config, path) is None
