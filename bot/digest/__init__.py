"""The digest: build a Digest from the store, render it as text, Markdown, HTML or JSON.

``build_digest`` (build.py) gathers the figures of a day, or of a week or month at its last day
(periods.py); ``render_digest`` draws them; delivery lives in deliver.py, the daemon's schedule
in daily.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.digest import fmt as _fmt
from bot.digest.build import build_digest
from bot.digest.model import Digest
from bot.digest.render_html import HtmlDigest, render_html
from bot.digest.render_json import render_json
from bot.digest.render_markdown import render_markdown
from bot.digest.render_text import render_text

if TYPE_CHECKING:
    from bot.digest.deliver import DigestMessage

DIGEST_FORMATS: tuple[str, ...] = ("text", "markdown", "html", "json")

__all__ = [
    "DIGEST_FORMATS",
    "Digest",
    "HtmlDigest",
    "build_digest",
    "compose",
    "render_digest",
    "render_html",
]


def render_digest(digest: Digest, fmt: str) -> str:
    """The digest in ``fmt`` (text, markdown, html with data: images, json)."""
    if fmt == "text":
        return render_text(digest)
    if fmt == "markdown":
        return render_markdown(digest)
    if fmt == "html":
        return render_html(digest).standalone()
    if fmt == "json":
        return render_json(digest)
    raise ValueError(f"unknown digest format {fmt!r}: expected one of {', '.join(DIGEST_FORMATS)}")


def compose(digest: Digest) -> DigestMessage:
    """The digest in every form a delivery channel may want (HTML charts as ``cid:`` images)."""
    # Imported here: deliver.py imports this package's channels module.
    from bot.digest.deliver import DigestMessage

    page = render_html(digest)
    return DigestMessage(
        title=_fmt.title(digest),
        text=render_text(digest),
        markdown=render_markdown(digest),
        html=page.html,
        json=render_json(digest),
        images=page.images,
    )
