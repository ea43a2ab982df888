"""Inline SVG charts: suspect marks never join the line, gaps break it, text is escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.output.svg import Mark, line_chart, runs, sparkline

START = datetime(2022, 1, 1, 10, tzinfo=UTC)
TZ = ZoneInfo("Africa/Casablanca")


def day(n: int, value: int | None, suspect: bool = False) -> Mark:
    return Mark(START + timedelta(days=n), value, suspect)


def test_a_suspect_mark_is_drawn_apart_and_does_not_flatten_the_scale() -> None:
    chart = line_chart(
        [day(0, 1000), day(1, 1010), day(2, 0, suspect=True), day(3, 1030)], title="t", tz=TZ
    )
    (line,) = re.findall(r'<polyline class="line" points="([^"]+)"', chart)
    assert len(line.split()) == 3  # the three good points, joined
    assert chart.count('class="suspect"') == 1 and "<title>suspect: 0</title>" in chart
    ys = [float(point.split(",")[1]) for point in line.split()]
    assert max(ys) - min(ys) > 100  # the 0 did not squash the good points into a flat line


def test_a_missing_count_or_a_long_pause_breaks_the_line() -> None:
    marks = [day(0, 1), day(1, 2), day(2, None), day(3, 4), day(4, 5), day(30, 6), day(31, 7)]
    assert [len(run) for run in runs(marks)] == [2, 2, 2]
    assert line_chart(marks, title="t", tz=TZ).count("<polyline") == 3


def test_titles_are_escaped_and_no_data_says_so() -> None:
    chart = line_chart([], title="<script>&", tz=TZ)
    assert "&lt;script&gt;&amp;" in chart and "<script>" not in chart
    assert "no data in this range" in chart


def test_sparkline_breaks_at_unknown_days() -> None:
    assert sparkline([1, 2, None, 3, 4]).count("<polyline") == 2
    assert "<polyline" not in sparkline([None, 5])
