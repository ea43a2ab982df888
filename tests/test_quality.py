"""The quality gate's rules (bot/quality.py) and its two config keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import load_settings
from bot.errors import ConfigError
from bot.kinds import Quality
from bot.quality import Judged, judge

T0 = datetime(2025, 3, 1, tzinfo=UTC)
OK, SUSPECT, DROP = Quality.OK, Quality.SUSPECT, Quality.CONFIRMED_DROP


def series(*counts: int | None, step: timedelta = timedelta(hours=1)) -> list[Judged]:
    return [Judged(T0 + i * step, c) for i, c in enumerate(counts)]


def test_a_zero_between_normal_counts_is_suspect() -> None:
    assert judge(series(5000, 0, 5010)) == [OK, SUSPECT, OK]


def test_a_lone_spike_is_suspect_once_its_next_neighbour_is_known() -> None:
    assert judge(series(5000, 50000)) == [OK, OK]
    assert judge(series(5000, 50000, 5010)) == [OK, SUSPECT, OK]
    assert judge(series(5000, 50000, 50100)) == [OK, OK, OK]  # a real jump


def test_a_drop_needs_time_and_two_more_observations() -> None:
    assert judge(series(5000, 3000, 3000, step=timedelta(seconds=30))) == [OK, SUSPECT, SUSPECT]
    assert judge(series(5000, 3000, 3000, 3000, step=timedelta(hours=3))) == [OK, DROP, OK, OK]
    # 6 h, but only one further observation.
    assert judge(series(5000, 3000, 3000, step=timedelta(hours=6))) == [OK, SUSPECT, SUSPECT]


def test_confirm_after_and_hold() -> None:
    points = series(5000, 3000, 3000, 3000, step=timedelta(minutes=30))
    assert judge(points, confirm_after=timedelta(hours=1)) == [OK, DROP, OK, OK]
    held = judge(points, confirm_after=timedelta(hours=1), hold=True)
    assert held == [OK, SUSPECT, SUSPECT, SUSPECT]


def test_a_recovery_before_confirmation_leaves_a_glitch() -> None:
    points = series(5000, 3000, 3000, 5000, 3000, step=timedelta(hours=4))
    assert judge(points) == [OK, SUSPECT, SUSPECT, OK, SUSPECT]


def test_small_counts_and_missing_counts_are_not_judged() -> None:
    assert judge(series(99, 0, 99)) == [OK, OK, OK]
    assert judge(series(5000, None, 5000)) == [OK, OK, OK]


def test_hand_marks_are_kept_and_used_as_reference() -> None:
    points = [Judged(T0, 5000), Judged(T0 + timedelta(hours=1), 0, OK, pinned=True)]
    points.append(Judged(T0 + timedelta(hours=2), 0))
    assert judge(points) == [OK, OK, OK]  # the trusted 0 is the new level
    marked = [Judged(T0, 5000), Judged(T0 + timedelta(hours=1), 5001, SUSPECT, pinned=True)]
    assert judge(marked) == [OK, SUSPECT]


def test_the_reference_is_the_good_count_before_the_window() -> None:
    assert judge(series(0, 0), reference=5000) == [SUSPECT, SUSPECT]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.none() | st.integers(min_value=0, max_value=10**7), min_size=1, max_size=30))
def test_a_confirmed_drop_always_held_six_hours_over_two_more_counts(
    counts: list[int | None],
) -> None:
    points = series(*counts)
    verdicts = judge(points)
    assert len(verdicts) == len(points)
    for index, verdict in enumerate(verdicts):
        if verdict == DROP:
            later = [p for p in points[index + 1 :] if p.followers is not None]
            assert len(later) >= 2
            assert later[-1].at - points[index].at >= timedelta(hours=6)
        if verdict == SUSPECT:
            # Only a count worth judging is ever suspect.
            assert points[index].followers is not None


def write(tmp_path: Path, bot: str) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(f"[bot]\n{bot}\n")
    return path


def test_the_gate_keys_have_defaults_and_values(tmp_path: Path) -> None:
    default = load_settings(write(tmp_path, ""), environ={})
    assert (default.confirm_drop_after, default.recheck_after) == (
        timedelta(hours=6),
        timedelta(minutes=15),
    )
    given_ = load_settings(
        write(tmp_path, 'confirm_drop_after = "12h"\nrecheck_after = "5m"'), environ={}
    )
    assert (given_.confirm_drop_after, given_.recheck_after) == (
        timedelta(hours=12),
        timedelta(minutes=5),
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('confirm_drop_after = "10m"', "bot.confirm_drop_after: expected between 30m and 7d"),
        ('confirm_drop_after = "8d"', "bot.confirm_drop_after: expected between 30m and 7d"),
        ('recheck_after = "30s"', "bot.recheck_after: expected between 1m and 6h"),
        ('recheck_after = "banana"', "bot.recheck_after: expected a duration like"),
    ],
)
def test_the_gate_keys_are_bounded(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, line), environ={})
    assert message in str(caught.value)
