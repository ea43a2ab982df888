"""The digest as the stable JSON document (see ``Digest.to_json``)."""

from __future__ import annotations

import json

from bot.digest.model import Digest


def render_json(digest: Digest) -> str:
    """Indented JSON, UTF-8 characters kept, keys in contract order."""
    return json.dumps(digest.to_json(), indent=2, ensure_ascii=False) + "\n"
