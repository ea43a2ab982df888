"""Followers history as a PNG line chart (matplotlib's object API on Agg: no pyplot, no globals).

Titles in any script: matplotlib 3.11+ lays text out with libraqm (the Unicode bidi algorithm
and Arabic shaping) and its bundled DejaVu Sans has Arabic glyphs, so a label given between
direction isolates (``bot.output.text.isolate``) is drawn in reading order with joined letters.
A ``$`` in a label is escaped: matplotlib would read text between two of them as mathtext.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from io import BytesIO
from statistics import median
from zoneinfo import ZoneInfo

from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bot.growth import Point
from bot.output.text import number

# Fixed DPI and font sizes make the output a function of the inputs only (tests compare bytes).
_DPI = 100
_LINE = "#1f6feb"
_MUTED = "#57606a"
_GRID = "#d0d7de"
# A pause longer than this many typical spacings (and at least _MIN_GAP) breaks the line, so a
# week without data is drawn as a hole instead of a straight line across it.
_GAP_FACTOR = 3
_MIN_GAP = timedelta(days=1)


def _thousands(value: float, _position: float) -> str:
    """Axis labels like ``317,074``."""
    return number(round(value))


def gap_threshold(times: Sequence[datetime]) -> timedelta:
    """Return the spacing above which two consecutive points are drawn unconnected."""
    steps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]
    if not steps:
        return _MIN_GAP
    return max(_MIN_GAP, timedelta(seconds=_GAP_FACTOR * median(steps)))


def segments(points: Sequence[Point]) -> list[list[Point]]:
    """Split ``points`` into runs drawn as one line: a missing count or a long pause ends a run."""
    ordered = sorted(points, key=lambda p: p.at)
    threshold = gap_threshold([p.at for p in ordered if p.followers is not None])
    runs: list[list[Point]] = []
    current: list[Point] = []
    for point in ordered:
        if point.followers is None:
            # "Not reported" is unknown, never 0: the line stops rather than dip or bridge.
            if current:
                runs.append(current)
            current = []
            continue
        if current and point.at - current[-1].at > threshold:
            runs.append(current)
            current = []
        current.append(point)
    if current:
        runs.append(current)
    return runs


def followers_chart_png(
    points: Sequence[Point],
    *,
    title: str,
    tz: ZoneInfo,
    width_px: int = 600,
    height_px: int = 220,
) -> bytes:
    """Draw the follower counts of ``points`` (dates in ``tz``) as PNG bytes.

    The caller leaves suspect points out; missing counts and long pauses are drawn as gaps.
    """
    figure = followers_figure(points, title=title, tz=tz, width_px=width_px, height_px=height_px)
    buffer = BytesIO()
    # No Software/date metadata: the same history gives the same bytes.
    figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


def followers_figure(
    points: Sequence[Point],
    *,
    title: str,
    tz: ZoneInfo,
    width_px: int = 600,
    height_px: int = 220,
) -> Figure:
    """The chart of ``followers_chart_png`` as a matplotlib figure, before it is saved."""
    figure = Figure(figsize=(width_px / _DPI, height_px / _DPI), dpi=_DPI, facecolor="white")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    runs = segments(points)
    for run in runs:
        times = mdates.date2num([p.at.astimezone(tz) for p in run])  # type: ignore[no-untyped-call]
        counts = [float(p.followers) for p in run if p.followers is not None]
        # A lone point between two gaps would be invisible as a line of one point.
        marker = "o" if len(run) == 1 else None
        axes.plot(times, counts, color=_LINE, linewidth=1.8, marker=marker, markersize=3)
    axes.set_title(title.replace("$", r"\$"), fontsize=10, loc="left", color="#24292f")
    axes.tick_params(labelsize=8, colors=_MUTED)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if runs:
        _style_axes(axes, tz, [p.followers for run in runs for p in run if p.followers is not None])
    else:
        axes.set_xticks([])
        axes.set_yticks([])
        axes.text(
            0.5, 0.5, "no data", ha="center", va="center", color=_MUTED, transform=axes.transAxes
        )
    figure.tight_layout()
    return figure


def _style_axes(axes: Axes, tz: ZoneInfo, counts: list[int]) -> None:
    """Thousands separators on the y axis, local dates on the x axis, a light grid."""
    axes.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    axes.yaxis.set_major_formatter(FuncFormatter(_thousands))
    # matplotlib.dates ships without annotations for these two constructors.
    locator = mdates.AutoDateLocator(tz=tz, minticks=3, maxticks=7)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=tz))  # type: ignore[no-untyped-call]
    axes.xaxis.get_offset_text().set_fontsize(8)
    axes.grid(axis="y", color=_GRID, linewidth=0.6)
    low, high = min(counts), max(counts)
    if low == high:
        # matplotlib pads a constant series by a hair; a flat line deserves a readable scale.
        pad = max(1, math.ceil(abs(low) * 0.01))
        axes.set_ylim(low - pad, high + pad)
