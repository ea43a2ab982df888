"""The explicit registry of platform adapters: a broken module fails loudly at import."""

from __future__ import annotations

from bot.platforms.base import Adapter
from bot.platforms.bluesky import Bluesky
from bot.platforms.facebook import Facebook
from bot.platforms.github import GitHub
from bot.platforms.instagram import Instagram
from bot.platforms.json_source import JsonSource
from bot.platforms.mastodon import Mastodon
from bot.platforms.reddit import Reddit
from bot.platforms.telegram import Telegram
from bot.platforms.twitch import Twitch
from bot.platforms.x import X
from bot.platforms.youtube import YouTube

ADAPTERS: tuple[type[Adapter], ...] = (
    Mastodon,
    Bluesky,
    X,
    Facebook,
    Instagram,
    YouTube,
    Telegram,
    GitHub,
    Reddit,
    Twitch,
    JsonSource,
)

REGISTRY: dict[str, type[Adapter]] = {adapter.name: adapter for adapter in ADAPTERS}
