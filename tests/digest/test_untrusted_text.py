"""Labels, handles and platform messages in every digest format: data, never markup.

Text and Markdown wrap labels in direction isolates (FSI ... PDI), HTML in ``<bdi>``, so an
Arabic label keeps its place in the sentence; escape sequences are shown, never sent.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.cells import cell_len as width

from bot.digest import render_digest, render_html
from bot.digest.model import WINDOWS, AccountLine, Digest, Failure, GroupSummary, Mover
from bot.growth import Point

LABEL = "DGSN [archive] المديرية العامة للأمن الوطني"
ISOLATED = f"\u2068{LABEL}\u2069"
EVIL_LABEL = "Evil *bold* <b>x</b> & `tick` \x1b[2J"
TICKED = "ev`il@social.example"  # a backtick in a handle: a Markdown code span must hold it
MESSAGE = "not found [/bold] \x1b[2J\x1b]8;;http://evil.example/\x1b\\ \rfake \u202eevil"
RAW = ("\x1b", "\r", "\u202e")
AT = datetime(2024, 3, 31, 22, 0, tzinfo=UTC)
TZ = ZoneInfo("Africa/Casablanca")


def _line(platform: str, handle: str, label: str | None, followers: int) -> AccountLine:
    changes: dict[str, int | None] = dict.fromkeys(WINDOWS, 10)
    return AccountLine(
        platform=platform,
        handle=handle,
        label=label,
        groups=("[/bold] team [archive]",),
        followers=followers,
        posts=None,
        change=changes,
        growth_pct=dict.fromkeys(WINDOWS, 1.0),
        posts_change=dict.fromkeys(WINDOWS, None),
        status="active",
        last_data_at=AT,
        daily=(followers - 10, followers),
        points=(Point(AT.replace(day=30), followers - 10), Point(AT, followers)),
    )


def digest() -> Digest:
    """A day with an Arabic label, a hostile label, a backticked handle and a hostile error."""
    lines = (
        _line("x", "DGSN_MAROC", LABEL, 317_074),
        _line("bluesky", "evil.example.com", EVIL_LABEL, 1_000),
        _line("mastodon", TICKED, None, 500),
    )
    group = GroupSummary(
        name="[/bold] team [archive]",
        accounts=tuple(line.key for line in lines),
        followers=318_574,
        change=dict.fromkeys(WINDOWS, 30),
        growth_pct=dict.fromkeys(WINDOWS, 0.01),
        posts_change=dict.fromkeys(WINDOWS, None),
    )
    return Digest(
        day=date(2024, 3, 31),
        timezone=TZ,
        at=AT,
        complete=True,
        accounts=lines,
        groups=(group,),
        movers=(Mover("7d", "up", "x", "DGSN_MAROC", LABEL, 70, 1.0),),
        failures=(Failure("mastodon", TICKED, None, "not_found", AT, AT, MESSAGE),),
    )


def test_text_digest_isolates_labels_and_shows_messages_literally() -> None:
    text = render_digest(digest(), "text")
    assert not [c for c in RAW if c in text], repr(text)
    assert ISOLATED in text
    assert f"{ISOLATED} (x:DGSN_MAROC) +70 (+1.00%)" in text  # the mover sentence
    assert "not found [/bold] \\x1b[2J\\x1b]8;;http://evil.example/\\x1b\\  fake \\u202eevil" in (
        text
    )
    assert "[/bold] team [archive] (3 accounts)" in text
    # Isolates take no cell: the follower counts still line up.
    ends = set()
    for figure in ("317,074", "1,000", "500"):
        [row] = [row for row in text.splitlines() if f" {figure}  " in row]
        ends.add(width(row[: row.index(f" {figure}  ") + len(figure) + 1]))
    assert len(ends) == 1, text


def test_markdown_digest_escapes_labels_and_fences_handles() -> None:
    markdown = render_digest(digest(), "markdown")
    assert not [c for c in RAW if c in markdown], repr(markdown)
    assert "\u2068DGSN \\[archive\\] المديرية العامة للأمن الوطني\u2069 (`x:DGSN_MAROC`)" in (
        markdown
    )
    assert "Evil \\*bold\\* \\<b\\>x\\</b\\> \\& \\`tick\\` \\\\x1b\\[2J" in markdown
    assert "| ``mastodon:ev`il@social.example`` |" in markdown
    assert "## \\[/bold\\] team \\[archive\\]" in markdown


def test_html_digest_wraps_labels_in_bdi() -> None:
    titles: list[str] = []

    def chart(points: Any, *, title: str, **_: Any) -> bytes:
        titles.append(title)
        return b"\x89PNG\r\n\x1a\n"

    page = render_html(digest(), chart=chart).html
    assert not [c for c in RAW if c in page], repr(page)
    assert f"<strong><bdi>{LABEL}</bdi></strong>" in page
    assert "<bdi>Evil *bold* &lt;b&gt;x&lt;/b&gt; &amp; `tick` \\x1b[2J</bdi>" in page
    assert "\u2068" not in page  # attributes (alt) hold the label without isolates
    assert titles[0] == ISOLATED  # the chart's title keeps the label isolated too


def test_json_digest_keeps_labels_exactly() -> None:
    document = json.loads(render_digest(digest(), "json"))
    labels = [line["label"] for line in document["accounts"]]
    assert labels == [LABEL, EVIL_LABEL, None]
