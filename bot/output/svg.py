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


@dataclass(frozen=True)
class _Frame:
    """Where a chart's times and values land: the plot area inside a ``width`` x ``height`` box."""

    width: int
    height: int
    start: datetime
    end: datetime
    low: int
    high: int

    def x(self, at: datetime) -> float:
        """The horizontal position of a time."""
        plot_w = self.width - _LEFT - _RIGHT
        span = max((self.end - self.start).total_seconds(), 1.0)
        return round(_LEFT + (at - self.start).total_seconds() / span * plot_w, 1)

    def y(self, value: int) -> float:
        """The vertical position of a value."""
        # A suspect value off the scale is drawn on its edge (its title gives the real value).
        shown = min(max(value, self.low), self.high)
        plot_h = self.height - _TOP - _BOTTOM
        return round(_TOP + (self.high - shown) / (self.high - self.low) * plot_h, 1)


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
    frame = _frame(known, width, height)
    return "".join(
        [head, *_axes(frame, tz), *_lines(chart, frame), *_suspects(known, frame), "</svg>"]
    )


def _frame(known: Sequence[Mark], width: int, height: int) -> _Frame:
    """The frame of marks with values: their time span and the good points' value range."""
    # The scale is the good points': a glitch (a 0 after thousands) must not flatten the line.
    values = [m.value for m in known if m.value is not None and not m.suspect] or [
        m.value for m in known if m.value is not None
    ]
    low, high = min(values), max(values)
    if low == high:
        pad = max(1, math.ceil(abs(low) * 0.01))
        low, high = low - pad, high + pad
    start, end = min(m.at for m in known), max(m.at for m in known)
    return _Frame(width, height, start, end, low, high)


def _axes(frame: _Frame, tz: ZoneInfo) -> list[str]:
    """The value grid with its labels, and the first and last dates (in ``tz``) below."""
    parts = []
    for tick in _ticks(frame.low, frame.high):
        y = frame.y(tick)
        parts.append(
            f'<line x1="{_LEFT}" x2="{frame.width - _RIGHT}" y1="{y}" y2="{y}"'
            f' stroke="{_GRID}" stroke-width="0.6"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4}" text-anchor="end" font-size="11"'
            f' fill="{_MUTED}">{number(tick)}</text>'
        )
    for at, anchor in ((frame.start, "start"), (frame.end, "end")):
        shown = at.astimezone(tz).strftime("%Y-%m-%d")
        parts.append(
            f'<text x="{frame.x(at)}" y="{frame.height - 8}" text-anchor="{anchor}"'
            f' font-size="11" fill="{_MUTED}">{shown}</text>'
        )
    return parts


def _lines(chart: Sequence[Mark], frame: _Frame) -> list[str]:
    """The good points: a line per run, a dot for a run of one."""
    parts = []
    # Unknown counts go in too: "not reported" breaks the line, it is never bridged.
    for run in runs([m for m in chart if not m.suspect]):
        if len(run) == 1:
            only = run[0]
            parts.append(
                f'<circle class="point" cx="{frame.x(only.at)}" cy="{frame.y(only.value or 0)}"'
                f' r="2.5" fill="{_LINE}"/>'
            )
            continue
        path = " ".join(f"{frame.x(m.at)},{frame.y(m.value or 0)}" for m in run)
        parts.append(
            f'<polyline class="line" points="{path}" fill="none" stroke="{_LINE}"'
            ' stroke-width="1.8" stroke-linejoin="round"/>'
        )
    return parts


def _suspects(known: Sequence[Mark], frame: _Frame) -> list[str]:
    """A red cross for each suspect point, its value in its title."""
    parts = []
    for mark in known:
        if mark.suspect:
            cx, cy = frame.x(mark.at), frame.y(mark.value or 0)
            parts.append(
                f'<path class="suspect" d="M{cx - 4},{cy - 4}L{cx + 4},{cy + 4}'
                f'M{cx - 4},{cy + 4}L{cx + 4},{cy - 4}" stroke="{_SUSPECT}" stroke-width="2">'
                f"<title>suspect: {number(mark.value)}</title></path>"
            )
    return parts


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
