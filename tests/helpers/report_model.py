"""A reference model of the report's endpoints, for tests: what the store's seeks must find.

Production finds the endpoints with index seeks in SQL (``bot.store.history.range_endpoints``);
this is the same rule over an in-memory, time-sorted list of good points.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime

from bot.growth import Point


def pick_report_points(
    points: Sequence[Point], first: datetime, last: datetime
) -> tuple[Point | None, Point | None]:
    """Return the last points on or before ``first`` and on or before ``last`` (sorted input)."""
    if last < first:
        raise ValueError(f"range ends ({last.isoformat()}) before it starts ({first.isoformat()})")
    return _last_at_or_before(points, first), _last_at_or_before(points, last)


def _last_at_or_before(points: Sequence[Point], when: datetime) -> Point | None:
    index = bisect_right(points, when, key=lambda point: point.at)
    return points[index - 1] if index else None
