"""Line charts and sparklines as inline SVG text: no script, no image file, nothing to fetch.

The dashboard's pages and the printable report draw with these. Good points are joined into a
line (a missing count or a long pause breaks it, as in the PNG charts); suspect points are drawn
as marks on their own and are never joined into the line. Every text is escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.output.text import number

_LINE = "#1f6feb"
_SUSPECT = "#cf222e"
_MUTED = "#57606a"
_GRID = "#d0d7de"
# Room for the y labels on the left and the dates below (in viewBox units).
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 12, 12, 26


@dataclass(frozen=True)
class Mark:
    """One value to draw: a good point joins the line, a suspect one is only marked."""

    at: datetime
    value: int | None
    suspect: bool = False


def runs(good: Sequence[Mark]) -> list[list[Mark]]:
    """Split good marks into the runs drawn as one line each (see bot.output.charts.segments)."""
    from bot.output.charts import gap_threshold

    ordered = sorted(good, key=lambda m: m.at)
    threshold = gap_threshold([m.at for m in ordered if m.value is not None])
    found: list[list[Mark]] = []
    current: list[Mark] = []
    for mark in ordered:
        if mark.value is None or (current and mark.at - current[-1].at > threshold):
            if current:
                found.append(current)
            current = []
        if mark.value is not None:
            current.append(mark)
    if current:
        found.append(current)
    return found


def _ticks(low: int, high: int, count: int = 4) -> list[int]:
    """Round values from ``low`` to ``high`` for the y axis."""
    if high <= low:
        return [low]
    raw = (high - low) / count
    step = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= step * factor:
            step = int(step * factor) or 1
            break
    first = math.ceil(low / step) * step
    return list(range(first, high + 1, step))


def line_chart(
    chart: Sequence[Mark],
    *,
    title: str,
    tz: ZoneInfo,
    width: int = 640,
    height: int = 220,
) -> str:
    """An ``<svg>`` line chart of ``chart`` (dates in ``tz``); suspect marks as red crosses."""
    known = [m for m in chart if m.value is not None]
    label = escape(title)
    head = (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{label}"'
        ' xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">'
        f"<title>{label}</title>"
    )
    if not known:
        return (
            f'{head}<text x="{width / 2}" y="{height / 2}" text-anchor="middle"'
            f' fill="{_MUTED}" font-size="13">no data in this range</text></svg>'
        )
    # The scale is the good points': a glitch (a 0 after thousands) must not flatten the line.
    values = [m.value for m in known if m.value is not None and not m.suspect] or [
        m.value for m in known if m.value is not None
    ]
    low, high = min(values), max(values)
    if low == high:
        pad = max(1, math.ceil(abs(low) * 0.01))
        low, high = low - pad, high + pad
    start, end = min(m.at for m in known), max(m.at for m in known)
    span = max((end - start).total_seconds(), 1.0)
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM

    def x(at: datetime) -> float:
        return round(_LEFT + (at - start).total_seconds() / span * plot_w, 1)

    def y(value: int) -> float:
        # A suspect value off the scale is drawn on its edge (its title gives the real value).
        shown = min(max(value, low), high)
        return round(_TOP + (high - shown) / (high - low) * plot_h, 1)

    parts = [head]
    for tick in _ticks(low, high):
        parts.append(
            f'<line x1="{_LEFT}" x2="{width - _RIGHT}" y1="{y(tick)}" y2="{y(tick)}"'
            f' stroke="{_GRID}" stroke-width="0.6"/>'
            f'<text x="{_LEFT - 6}" y="{y(tick) + 4}" text-anchor="end" font-size="11"'
            f' fill="{_MUTED}">{number(tick)}</text>'
        )
    for at, anchor in ((start, "start"), (end, "end")):
        shown = at.astimezone(tz).strftime("%Y-%m-%d")
        parts.append(
            f'<text x="{x(at)}" y="{height - 8}" text-anchor="{anchor}" font-size="11"'
            f' fill="{_MUTED}">{shown}</text>'
        )
    # Unknown counts go in too: "not reported" breaks the line, it is never bridged.
    for run in runs([m for m in chart if not m.suspect]):
        if len(run) == 1:
            only = run[0]
            parts.append(
                f'<circle class="point" cx="{x(only.at)}" cy="{y(only.value or 0)}" r="2.5"'
                f' fill="{_LINE}"/>'
            )
            continue
        path = " ".join(f"{x(m.at)},{y(m.value or 0)}" for m in run)
        parts.append(
            f'<polyline class="line" points="{path}" fill="none" stroke="{_LINE}"'
            ' stroke-width="1.8" stroke-linejoin="round"/>'
        )
    for mark in known:
        if mark.suspect:
            cx, cy = x(mark.at), y(mark.value or 0)
            parts.append(
                f'<path class="suspect" d="M{cx - 4},{cy - 4}L{cx + 4},{cy + 4}'
                f'M{cx - 4},{cy + 4}L{cx + 4},{cy - 4}" stroke="{_SUSPECT}" stroke-width="2">'
                f"<title>suspect: {number(mark.value)}</title></path>"
            )
    parts.append("</svg>")
    return "".join(parts)


def sparkline(values: Sequence[int | None], *, width: int = 96, height: int = 24) -> str:
    """A tiny ``<svg>`` line of ``values`` in order (unknown values break it)."""
    known = [v for v in values if v is not None]
    head = (
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        ' aria-hidden="true" xmlns="http://www.w3.org/2000/svg">'
    )
    if len(known) < 2:
        return head + "</svg>"
    low, high = min(known), max(known)
    spread = (high - low) or 1
    step = width / (len(values) - 1)
    lines: list[list[str]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            lines.append([])
            continue
        top = 2 + (high - value) / spread * (height - 4)
        lines[-1].append(f"{round(i * step, 1)},{round(top, 1)}")
    body = "".join(
        f'<polyline points="{" ".join(run)}" fill="none" stroke="{_LINE}" stroke-width="1.5"/>'
        for run in lines
        if len(run) > 1
    )
    return head + body + "</svg>"
