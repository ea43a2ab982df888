"""Issue 10: Hypothesis feeds every adapter's parser hostile answers inside a real poll cycle.

The recorded simulator answers of two accounts per platform are replayed with the second
account's count (or its whole answers) replaced by generated hostile bytes: the cycle never
raises, every account gets its line and its stored attempt, and the untouched account is stored.
A bounded number of examples here; ``bench/fuzz_adapters.py`` runs the long fuzz.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine

from bot.config import Settings
from tests.helpers.fuzz import (
    SECOND,
    Case,
    Fuzzer,
    Recording,
    cases,
    check,
    example_handles,
    record,
)

EXAMPLES = 80


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Recording, Settings]:
    return asyncio.run(record(Path(tmp_path_factory.mktemp("fuzz"))))


def test_every_platforms_second_account_answer_carries_the_marker(
    recorded: tuple[Recording, Settings],
) -> None:
    # Else the fuzz would replace nothing on some platform and prove nothing there.
    recording, _settings = recorded
    assert recording.carrying_marker() >= len(SECOND)
    paths = {key[1] for key, (_s, _h, body) in recording.answers.items() if b"18446744" in body}
    assert len(paths) >= len(SECOND) - 2  # Graph's two platforms share a path, as may others


def test_hostile_answers_never_cost_the_cycle(
    engine: Engine, recorded: tuple[Recording, Settings]
) -> None:
    fuzzer = Fuzzer(engine, *recorded)
    examples = example_handles()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(cases())
    def one(case: Case) -> None:
        check(fuzzer.run(case), case, examples[case.platform])

    one()
