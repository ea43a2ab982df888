"""The digest as Markdown tables that paste into an email, Slack or GitHub.

A weekly or monthly digest shows its headline window first, its heading in bold.
"""

from __future__ import annotations

from bot.digest import fmt
from bot.digest.model import WINDOWS, AccountLine, Digest, GroupSummary
from bot.output.text import NULL, code, isolate, literal, md, number, percent, signed

_RULE = "|---|--:|" + "--:|" * len(WINDOWS)


def _window_headings(digest: Digest) -> str:
    """The window columns' headings, the headline's in bold unless the digest is a daily one."""
    bold = digest.period != "day"
    return " | ".join(
        f"**{fmt.WINDOW_TITLES[p]}**" if bold and p == digest.headline else fmt.WINDOW_TITLES[p]
        for p in fmt.windows(digest)
    )


def _name(line: AccountLine) -> str:
    """``Label (`platform:handle`)``, with the status when it is not active."""
    key = code(line.key)
    name = f"{md(isolate(line.label))} ({key})" if line.label else key
    if line.status != "active":
        name += f" *{fmt.STATUS_WORDS.get(line.status, line.status)}*"
    return name


def _both(change: int | None, pct: float | None) -> str:
    """``+1,234 (+5.10%)``, or the null dash alone."""
    if change is None:
        return NULL
    return f"{signed(change)} ({percent(pct)})"


def _group(digest: Digest, group: GroupSummary) -> list[str]:
    """The followers table, then the posts table when any account counts posts."""
    lines = digest.group_lines(group)
    order = fmt.windows(digest)
    headings = _window_headings(digest)
    title = md(literal(group.title))
    out = ["", f"## {title}", "", f"| Account | Followers | {headings} |"]
    out.append(_RULE)
    for line in lines:
        cells = [_both(line.change[p], line.growth_pct[p]) for p in order]
        out.append(f"| {_name(line)} | {number(line.followers)} | {' | '.join(cells)} |")
    if len(lines) > 1:
        cells = [_both(group.change[p], group.growth_pct[p]) for p in order]
        out.append(f"| **Total** | **{number(group.followers)}** | {' | '.join(cells)} |")
    counted = [line for line in lines if line.posts is not None]
    if counted:
        out += ["", f"Posts published in {title}:", ""]
        out += [f"| Account | Posts | {headings} |", _RULE]
        for line in counted:
            cells = [signed(line.posts_change[p]) for p in order]
            out.append(f"| {_name(line)} | {number(line.posts)} | {' | '.join(cells)} |")
    return out


def _sections(digest: Digest) -> list[str]:
    """Movers, milestones, projections, anomalies, failures: lists, only when not empty."""
    out: list[str] = []
    for period, ups, downs in fmt.movers_by_period(digest):
        out += ["", f"## Biggest movers over {fmt.WINDOW_TITLES[period]}", ""]
        out += [f"- {fmt.ARROWS[m.direction]} {md(fmt.mover_text(m))}" for m in ups + downs]
    listed = fmt.listed_sections(digest)
    for heading, items in listed:
        if items:
            out += ["", f"## {heading}", "", *(f"- {md(item)}" for item in items)]
    return out


def render_markdown(digest: Digest) -> str:
    """The Markdown digest."""
    out = [f"# {fmt.title(digest)}", "", fmt.subtitle(digest)]
    if not digest.accounts:
        out += ["", "No accounts to report."]
    for group in digest.groups:
        out += _group(digest, group)
    out += _sections(digest)
    out += [
        "",
        f"{NULL} = not enough history. Changes are followers gained; posts = posts published.",
    ]
    return "\n".join(out) + "\n"
