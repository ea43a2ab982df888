"""One settings builder for tests that need accounts without a config file."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.config import AccountSettings, PlatformSettings, Settings


def settings_for(
    bluesky: Iterable[str] = (),
    mastodon: Iterable[str] = (),
    *,
    accounts: Iterable[AccountSettings] = (),
    base_url: str | None = None,
    **fields: Any,
) -> Settings:
    """Settings watching these Bluesky and Mastodon handles and ``accounts``, in that order.

    Every platform used gets a ``[platforms.<name>]`` table (at ``base_url`` when given, e.g. the
    simulator's on loopback, with ``allow_private_addresses``); ``fields`` set the rest of
    ``Settings`` (``poll_interval``, ``timezone``...).
    """
    entries = (
        *(AccountSettings("bluesky", handle) for handle in bluesky),
        *(AccountSettings("mastodon", handle) for handle in mastodon),
        *accounts,
    )
    names = sorted({entry.platform for entry in entries} | {"bluesky", "mastodon"})
    local = base_url is not None
    platforms = {
        name: PlatformSettings(name, base_url=base_url, allow_private_addresses=local)
        for name in names
    }
    return Settings(accounts=entries, platforms=platforms, **fields)
