"""Deterministic simulated accounts: counters that grow with time, kinds and stable ids."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
_YEAR_SECONDS = 365.25 * 24 * 3600
_DAY_SECONDS = 24 * 3600

HandleKind = Literal["ok", "missing", "suspended"]


@dataclass(frozen=True)
class Counters:
    """Follower, following and post counts of one account at one instant."""

    followers: int
    following: int
    posts: int


def _digest(text: str) -> bytes:
    """SHA-256 of ``text`` (UTF-8)."""
    return hashlib.sha256(text.encode()).digest()


def _unit(digest: bytes, slot: int) -> float:
    """A float in [0, 1) from the 4-byte slot ``slot`` of ``digest``."""
    return int.from_bytes(digest[slot * 4 : slot * 4 + 4], "big") / 2**32


def _pick(digest: bytes, slot: int, low: float, high: float) -> float:
    """A float in [low, high) from one slot of ``digest``."""
    return low + (high - low) * _unit(digest, slot)


def _elapsed_seconds(at: datetime) -> float:
    """Seconds since 2020-01-01T00:00Z, never negative; naive times are taken as UTC."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return max(0.0, (at - EPOCH).total_seconds())


def counters_for(platform: str, handle: str, at: datetime) -> Counters:
    """The counters of ``handle`` on ``platform`` at ``at``, the same on every call and machine."""
    digest = _digest(f"{platform}:{handle.lower()}")
    base_followers = 1_000 + int(_unit(digest, 0) * 499_001)  # 1,000 .. 500,000
    growth = _pick(digest, 1, 0.05, 0.60)  # per year, compounded continuously per second
    base_following = 10 + int(_unit(digest, 2) * 1_491)  # 10 .. 1,500
    following_per_year = _pick(digest, 3, 0.0, 50.0)
    base_posts = 100 + int(_unit(digest, 4) * 19_901)  # 100 .. 20,000
    posts_per_day = _pick(digest, 5, 0.5, 15.0)

    seconds = _elapsed_seconds(at)
    years = seconds / _YEAR_SECONDS
    return Counters(
        followers=int(base_followers * (1.0 + growth) ** years),
        following=min(2_000, base_following + int(following_per_year * years)),
        posts=base_posts + int(posts_per_day * seconds / _DAY_SECONDS),
    )


def kind_of(handle: str) -> HandleKind:
    """``missing*`` and ``suspended*`` first labels (before the first "." or "@") are special."""
    cleaned = handle.strip().lstrip("@").lower()
    first = cleaned.replace("@", ".").split(".", 1)[0]
    if first.startswith("missing"):
        return "missing"
    if first.startswith("suspended"):
        return "suspended"
    return "ok"


def mastodon_id(username: str) -> str:
    """A stable 18-digit Mastodon account id for ``username`` (case-insensitive)."""
    value = int.from_bytes(_digest(f"mastodon-id:{username.lower()}")[:16], "big")
    return str(10**17 + value % (9 * 10**17))


def bluesky_did(handle: str) -> str:
    """A stable ``did:plc:`` identifier for ``handle`` (case-insensitive)."""
    encoded = base64.b32encode(_digest(f"bluesky-did:{handle.lower()}")).decode()
    return "did:plc:" + encoded[:24].lower()


def created_at(platform: str, handle: str, earliest: datetime, days: int) -> datetime:
    """A stable account creation time within ``days`` days after ``earliest``."""
    digest = _digest(f"created:{platform}:{handle.lower()}")
    return earliest + timedelta(seconds=int(_unit(digest, 0) * days * _DAY_SECONDS))
