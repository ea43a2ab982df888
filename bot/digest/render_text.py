"""The digest for a terminal: aligned columns, 30-day Unicode sparklines.

The window columns come in ``fmt.windows`` order: a weekly or monthly digest's headline first.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.digest import fmt
from bot.digest.model import AccountLine, Digest, GroupSummary
from bot.output.text import NULL, isolate, literal, number, percent, signed, width

# Wide enough for an institution's full name with its archive tag (the seed label is 44).
_NAME_WIDTH = 48


def _headings(order: Sequence[str]) -> tuple[str, ...]:
    """Name (left-aligned), followers and one column per window (right), the sparkline last."""
    return ("Account", "Followers", *order, "Last 30 days")


def _clip(text: str, cells: int = _NAME_WIDTH) -> str:
    """Cut a long name with an ellipsis so the columns stay aligned."""
    if width(text) <= cells:
        return text
    while width(text) > cells - 1:
        text = text[:-1]
    return text + "…"


def _name(line: AccountLine) -> str:
    """The label (cut, then isolated) or ``platform:handle``, shown literally."""
    if line.label:
        return isolate(_clip(literal(line.label)))
    return _clip(literal(line.key))


def _account_rows(line: AccountLine, order: Sequence[str]) -> list[list[str]]:
    """Followers and changes; then the handle and growth %; then posts when counted."""
    state = "" if line.status == "active" else fmt.STATUS_WORDS.get(line.status, line.status)
    rows = [
        [
            _name(line),
            number(line.followers),
            *(signed(line.change[p]) for p in order),
            fmt.sparkline(line.daily),
        ],
        [
            _clip(f"  {literal(line.key)}") if line.label else "",
            "",
            *(percent(line.growth_pct[p]) for p in order),
            f"[{state}]" if state else "",
        ],
    ]
    if line.posts is not None:
        posts = [signed(line.posts_change[p]) for p in order]
        rows.append(["  posts", number(line.posts), *posts, ""])
    return rows


def _group_rows(digest: Digest, group: GroupSummary) -> list[list[str]]:
    """The group's accounts, then its total when it has more than one account."""
    rows: list[list[str]] = []
    order = fmt.windows(digest)
    lines = digest.group_lines(group)
    for line in lines:
        rows.extend(_account_rows(line, order))
    if len(lines) > 1:
        changes = [signed(group.change[p]) for p in order]
        rows.append(["Total", number(group.followers), *changes, ""])
        rows.append(["", "", *(percent(group.growth_pct[p]) for p in order), ""])
    return rows


def _align(rows: Sequence[Sequence[str]], widths: Sequence[int]) -> list[str]:
    """Name left, numbers right, sparkline as is; no trailing spaces."""
    out = []
    for row in rows:
        # Padding counts terminal cells: isolates take none, so len() would misalign a label.
        cells = [row[0] + " " * (widths[0] - width(row[0]))]
        cells += [cell.rjust(size) for cell, size in zip(row[1:-1], widths[1:-1], strict=True)]
        cells.append(row[-1])
        out.append("  ".join(cells).rstrip())
    return out


def _tables(digest: Digest) -> list[str]:
    """Every group's table, with one set of column widths for all of them."""
    headings = _headings(fmt.windows(digest))
    blocks = [(group, _group_rows(digest, group)) for group in digest.groups]
    every = [list(headings)] + [row for _, rows in blocks for row in rows]
    widths = [max(width(row[i]) for row in every) for i in range(len(headings))]
    out: list[str] = []
    for group, rows in blocks:
        count = len(group.accounts)
        out += ["", f"{fmt.group_title(group)} ({count} account{'s' if count != 1 else ''})"]
        out += _align([headings, *rows], widths)
    return out


def _sections(digest: Digest) -> list[str]:
    """Movers, milestones, projections, anomalies and failures, each only when it has lines."""
    out: list[str] = []
    for period, ups, downs in fmt.movers_by_period(digest):
        out += ["", f"Biggest movers over {fmt.WINDOW_TITLES[period]}"]
        out += [f"  {fmt.ARROWS[m.direction]} {fmt.mover_text(m)}" for m in ups + downs]
    listed = fmt.listed_sections(digest)
    for heading, lines in listed:
        if lines:
            out += ["", heading, *(f"  - {line}" for line in lines)]
    return out


def render_text(digest: Digest) -> str:
    """The terminal digest."""
    out = [fmt.title(digest), fmt.subtitle(digest)]
    if not digest.accounts:
        out += ["", "No accounts to report."]
    out += _tables(digest) + _sections(digest)
    out += [
        "",
        f"{NULL} = not enough history. Changes are followers gained; posts = posts published.",
    ]
    return "\n".join(out) + "\n"
