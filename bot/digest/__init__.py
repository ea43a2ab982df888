"""The digest: build a Digest from the store, render it as text, Markdown, HTML or JSON.

``build_digest`` (build.py) gathers the figures of a day, or of a week or month at its last day
(periods.py); render.py draws them; delivery lives in deliver.py, the daemon's schedule in
daily.py. This module only re-exports.
"""

from __future__ import annotations

from bot.digest.build import build_digest
from bot.digest.model import Digest, DigestMessage
from bot.digest.render import DIGEST_FORMATS, compose, render_digest
from bot.digest.render_html import HtmlDigest, render_html

__all__ = [
    "DIGEST_FORMATS",
    "Digest",
    "DigestMessage",
    "HtmlDigest",
    "build_digest",
    "compose",
    "render_digest",
    "render_html",
]
