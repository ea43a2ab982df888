"""Local day boundaries, computed once: the next local midnight in UTC, fold-aware (issue 15)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.output.text import CLI
from bot.query import words

MICRO = timedelta(microseconds=1)
# Clocks fall back at local midnight: the day's last hour happens twice (a 25-hour day).
FALL_BACK_AT_MIDNIGHT = [
    ("Asia/Beirut", date(2024, 10, 26)),
    ("America/Santiago", date(2024, 4, 6)),
    ("America/Asuncion", date(2024, 3, 23)),
    ("Africa/Cairo", date(2024, 10, 31)),
]


@pytest.mark.parametrize(("zone", "day"), FALL_BACK_AT_MIDNIGHT)
def test_until_a_day_ends_at_the_next_local_midnight(zone: str, day: date) -> None:
    tz = ZoneInfo(zone)
    following = datetime.combine(day + timedelta(days=1), datetime.min.time(), tz)
    end = words.when(day.isoformat(), tz, field="until", end_of_day=True, spell=CLI)
    assert end == following.astimezone(UTC) - MICRO
    start = words.when(day.isoformat(), tz, field="since", end_of_day=False, spell=CLI)
    assert end - start == timedelta(hours=25) - MICRO
