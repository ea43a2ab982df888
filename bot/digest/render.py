"""One digest in every format: text, Markdown, HTML (charts inline) or JSON, and all at once."""

from __future__ import annotations

from bot.digest import fmt as _fmt
from bot.digest.model import Digest, DigestMessage
from bot.digest.render_html import render_html
from bot.digest.render_json import render_json
from bot.digest.render_markdown import render_markdown
from bot.digest.render_text import render_text

DIGEST_FORMATS: tuple[str, ...] = ("text", "markdown", "html", "json")


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
    page = render_html(digest)
    return DigestMessage(
        title=_fmt.title(digest),
        text=render_text(digest),
        markdown=render_markdown(digest),
        html=page.html,
        json=render_json(digest),
        images=page.images,
    )
