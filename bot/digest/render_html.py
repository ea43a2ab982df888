"""The digest as an email-safe HTML page: tables, inline CSS, no script, 640 px wide, PNG charts.

``render_html`` references each chart as ``cid:NAME`` (for a MIME email, with the PNG bytes in
``images``); ``HtmlDigest.standalone()`` swaps those for ``data:`` URIs (a file or a browser).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape
from zoneinfo import ZoneInfo

from bot.digest import fmt
from bot.digest.model import CHARTS, SERIES_DAYS, AccountLine, Digest, GroupSummary
from bot.growth import Point
from bot.output.text import NULL, html, literal, number, percent, signed

# Two charts side by side in the 600 px content column.
CHART_WIDTH, CHART_HEIGHT = 290, 180
ChartFunction = Callable[..., bytes]

_FONT = "font-family:Helvetica,Arial,sans-serif;"
_MUTED = "#57606a"
_UP, _DOWN = "#1a7f37", "#cf222e"
_TEXT = "#24292f"
_CELL = f"padding:6px 6px;border-bottom:1px solid #d8dee4;{_FONT}font-size:13px;"
_NUM = _CELL + "text-align:right;white-space:nowrap;"
_HEAD = _CELL + f"color:{_MUTED};font-size:12px;font-weight:bold;"
# Fixed number columns so every group's table lines up with the others.
_FOLLOWERS_WIDTH, _WINDOW_WIDTH = 88, 72
_NO_RULE = "border-bottom:0;"


@dataclass(frozen=True)
class HtmlDigest:
    """The HTML and its inline images by Content-ID (referenced as ``cid:NAME``)."""

    html: str
    images: dict[str, bytes] = field(default_factory=dict)

    def standalone(self) -> str:
        """The same page with every image embedded as a ``data:`` URI."""
        page = self.html
        for cid, data in self.images.items():
            uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
            page = page.replace(f'src="cid:{cid}"', f'src="{uri}"')
        return page


def _color(value: float | int | None) -> str:
    """Green for a gain, red for a loss, grey otherwise."""
    if not value:
        return _MUTED
    return _UP if value > 0 else _DOWN


def _change_cell(change: int | None, pct: float | None, *, extra: str = "") -> str:
    """Change on one line, the growth % below it, coloured."""
    if change is None:
        return f'<td style="{_NUM}{extra}color:{_MUTED};">{NULL}</td>'
    return (
        f'<td style="{_NUM}{extra}">'
        f'<span style="color:{_color(change)};">{signed(change)}</span>'
        f'<br><span style="font-size:11px;color:{_color(pct)};">{percent(pct)}</span></td>'
    )


def _account_rows(line: AccountLine, order: Sequence[str]) -> str:
    """The account's row, then a small posts row when it counts posts (one rule below both)."""
    status = ""
    if line.status != "active":
        word = fmt.STATUS_WORDS.get(line.status, line.status)
        status = f' <span style="color:{_DOWN};font-size:11px;">{escape(word)}</span>'
    key = f'<br><span style="color:{_MUTED};font-size:11px;">{html(literal(line.key))}</span>'
    name = f"<strong>{html(fmt.account_name(line))}</strong>{status}{key if line.label else ''}"
    rule = "" if line.posts is None else _NO_RULE
    cells = "".join(_change_cell(line.change[p], line.growth_pct[p], extra=rule) for p in order)
    row = (
        f'<tr><td style="{_CELL}{rule}">{name}</td>'
        f'<td style="{_NUM}{rule}"><strong>{number(line.followers)}</strong></td>{cells}</tr>'
    )
    if line.posts is None:
        return row
    small = f"color:{_MUTED};font-size:11px;padding-top:0;"
    posts = "".join(f'<td style="{_NUM}{small}">{signed(line.posts_change[p])}</td>' for p in order)
    return row + (
        f'<tr><td style="{_CELL}{small}">posts published</td>'
        f'<td style="{_NUM}{small}">{number(line.posts)} posts</td>{posts}</tr>'
    )


def _group_table(digest: Digest, group: GroupSummary) -> str:
    """One group's table, with its total when it has several accounts."""
    lines = digest.group_lines(group)
    order = fmt.windows(digest)
    # A weekly or monthly digest's headline window: first, and its heading in the text colour.
    lead = f"color:{_TEXT};" if digest.period != "day" else ""
    heads = "".join(
        f'<th align="right" width="{_WINDOW_WIDTH}" style="{_HEAD}text-align:right;'
        f'{lead if p == digest.headline else ""}">{fmt.WINDOW_TITLES[p]}</th>'
        for p in order
    )
    rows = "".join(_account_rows(line, order) for line in lines)
    if len(lines) > 1:
        cells = "".join(_change_cell(group.change[p], group.growth_pct[p]) for p in order)
        rows += (
            f'<tr style="background:#f6f8fa;"><td style="{_CELL}"><strong>Total</strong></td>'
            f'<td style="{_NUM}"><strong>{number(group.followers)}</strong></td>{cells}</tr>'
        )
    return (
        _heading(fmt.group_title(group))
        + '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
        + 'style="border-collapse:collapse;">'
        + f'<tr><th align="left" style="{_HEAD}text-align:left;">Account</th>'
        + f'<th align="right" width="{_FOLLOWERS_WIDTH}" style="{_HEAD}text-align:right;">'
        + f"Followers</th>{heads}</tr>"
        + rows
        + "</table>"
    )


def _heading(text: str) -> str:
    """A section heading."""
    return f'<h2 style="{_FONT}font-size:16px;color:#24292f;margin:24px 0 8px 0;">{html(text)}</h2>'


def _list(title: str, items: Sequence[str]) -> str:
    """A heading and a bullet list, or nothing."""
    if not items:
        return ""
    lis = "".join(f'<li style="margin:0 0 4px 0;">{html(item)}</li>' for item in items)
    return _heading(title) + (
        f'<ul style="{_FONT}font-size:13px;color:#24292f;margin:0;padding-left:20px;">{lis}</ul>'
    )


def _sections(digest: Digest) -> str:
    """Movers, milestones, projections, anomalies, failures."""
    tz = digest.timezone
    movers = "".join(
        _list(
            f"Biggest movers over {fmt.WINDOW_TITLES[period]}",
            [f"{fmt.ARROWS[m.direction]} {fmt.mover_text(m)}" for m in ups + downs],
        )
        for period, ups, downs in fmt.movers_by_period(digest)
    )
    return "".join(
        (
            movers,
            _list(
                "Next milestones (at the 30-day pace)",
                [fmt.projection_text(p) for p in digest.projections],
            ),
            _list(
                f"Anomalies{fmt.during(digest)}",
                [fmt.anomaly_text(a, tz) for a in digest.anomalies],
            ),
            _list("Failing or stale accounts", [fmt.failure_text(f, tz) for f in digest.failures]),
        )
    )


def _highlights(digest: Digest) -> str:
    """Milestones reached, in a tinted box at the top: the news of the day."""
    if not digest.milestones:
        return ""
    items = "".join(
        f'<li style="margin:0 0 4px 0;">{html(fmt.milestone_text(m, digest.timezone))}</li>'
        for m in digest.milestones
    )
    return (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
        'style="margin:16px 0 0 0;"><tr><td style="background:#dafbe1;border-left:4px solid '
        f'{_UP};padding:10px 12px;{_FONT}font-size:13px;color:#24292f;">'
        f"<strong>Milestones reached{fmt.during(digest)}</strong><ul"
        ' style="margin:6px 0 0 0;padding-left:20px;">'
        f"{items}</ul></td></tr></table>"
    )


def _charts(digest: Digest, chart: ChartFunction) -> tuple[str, dict[str, bytes]]:
    """A followers chart per charted account (those with points: see ``CHARTS``), two a row."""
    images: dict[str, bytes] = {}
    cells: list[str] = []
    for line in [line for line in digest.accounts if len(line.points) >= 2][:CHARTS]:
        cid = f"chart-{len(images) + 1}"
        images[cid] = _png(chart, line.points, fmt.account_name(line), digest.timezone)
        alt = f"Followers of {literal(line.name)} over the last {SERIES_DAYS} days"
        cells.append(
            f'<td width="50%" valign="top" style="padding:0 0 8px 0;">'
            f'<img src="cid:{cid}" width="{CHART_WIDTH}" height="{CHART_HEIGHT}" '
            f'alt="{escape(alt)}" style="display:block;border:0;width:100%;max-width:'
            f'{CHART_WIDTH}px;height:auto;"></td>'
        )
    if not cells:
        return "", images
    if len(cells) % 2:
        cells.append('<td width="50%"></td>')
    rows = "".join(f"<tr>{cells[i]}{cells[i + 1]}</tr>" for i in range(0, len(cells), 2))
    table = (
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0">{rows}</table>'
    )
    return _heading(f"Followers over the last {SERIES_DAYS} days") + table, images


def _png(chart: ChartFunction, points: Sequence[Point], name: str, tz: ZoneInfo) -> bytes:
    """One chart through the chart function."""
    return chart(points, title=name, tz=tz, width_px=CHART_WIDTH, height_px=CHART_HEIGHT)


def _default_chart() -> ChartFunction:
    """The followers chart function (imported late: matplotlib is slow to load)."""
    from bot.output.charts import followers_chart_png

    return followers_chart_png


def render_html(digest: Digest, *, chart: ChartFunction | None = None) -> HtmlDigest:
    """The HTML email: charts referenced as ``cid:`` images, their PNG bytes in ``images``."""
    charts, images = _charts(digest, chart or _default_chart())
    body = "".join(_group_table(digest, group) for group in digest.groups)
    if not digest.accounts:
        body = f'<p style="{_FONT}font-size:13px;">No accounts to report.</p>'
    title = escape(fmt.title(digest))
    legend = (
        f"{NULL} = not enough history. Changes are followers gained; "
        "posts = posts published. Suspect counts are left out."
    )
    html = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head>"
        '<body style="margin:0;padding:0;background:#f6f8fa;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
        'style="background:#f6f8fa;"><tr><td align="center" style="padding:16px 8px;">'
        '<table role="presentation" width="640" cellpadding="0" cellspacing="0" '
        'style="width:100%;max-width:640px;background:#ffffff;border:1px solid #d8dee4;">'
        '<tr><td style="padding:20px 20px 24px 20px;">'
        f'<h1 style="{_FONT}font-size:20px;color:#24292f;margin:0 0 4px 0;">{title}</h1>'
        f'<p style="{_FONT}font-size:13px;color:{_MUTED};margin:0;">'
        f"{escape(fmt.subtitle(digest))}</p>"
        f"{_highlights(digest)}{body}{_sections(digest)}{charts}"
        f'<p style="{_FONT}font-size:11px;color:{_MUTED};margin:24px 0 0 0;">'
        f"{escape(legend)}</p>"
        "</td></tr></table></td></tr></table></body></html>\n"
    )
    return HtmlDigest(html, images)
