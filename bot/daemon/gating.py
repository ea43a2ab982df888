"""The quality gate of one poll cycle: each new count judged, platform events opened and closed.

Most observations are settled without a query: the newest stored snapshot is good and the new
count is no drop from it. The others are judged with the account's whole judging window
(bot/store/judging.py), which may also change the verdicts of stored snapshots: a pending drop
confirmed, a spike found.

A **platform event**: when at least ``EVENT_MIN_ACCOUNTS`` accounts of one platform, and at
least ``EVENT_SHARE`` of those polled in the cycle, get a suspect count in the same cycle, the
event is recorded once. While it lasts no drop on that platform is confirmed on its own; it
ends with the first cycle below the threshold.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from bot.config import Settings
from bot.kinds import Quality
from bot.platforms.base import Observation
from bot.quality import Judged, is_drop, judge
from bot.store import judging
from bot.store.claims import Pollable
from bot.store.history import SnapshotRow

EVENT_SHARE = 0.5
EVENT_MIN_ACCOUNTS = 3


@dataclass(frozen=True)
class Decision:
    """The new snapshot's quality and the stored snapshots' changed ones."""

    quality: Quality = Quality.OK
    requalified: Mapping[datetime, Quality] = field(default_factory=dict)


@dataclass
class _Slow:
    account_id: int
    platform: str
    window: judging.Window
    points: list[Judged]
    verdicts: list[Quality] = field(default_factory=list)


Observed = tuple[Pollable, Observation, datetime]
Recent = Mapping[int, tuple[SnapshotRow | None, SnapshotRow | None]]


def decide(
    connection: Connection,
    settings: Settings,
    observed: Sequence[Observed],
    recent: Recent,
    now: datetime,
) -> dict[int, Decision]:
    """Each observed account's decision, by account id; platform events recorded on the way."""
    events = judging.open_events(connection)
    decisions: dict[int, Decision] = {}
    slow: list[_Slow] = []
    polled: dict[str, int] = defaultdict(int)
    for account, observation, at in observed:
        account_id = account.id or 0
        if observation.followers is not None:
            polled[account.platform] += 1
        if _settled(recent.get(account_id), observation):
            decisions[account_id] = Decision()
            continue
        found = judging.window(connection, account_id, at)
        points = [*found.points, Judged(at, observation.followers)]
        slow.append(_Slow(account_id, account.platform, found, points))
    for item in slow:
        _judge(item, settings, hold=item.platform in events)
    for platform, count in polled.items():
        suspect = sum(1 for s in slow if s.platform == platform and s.verdicts[-1] == "suspect")
        alarming = suspect >= EVENT_MIN_ACCOUNTS and suspect >= EVENT_SHARE * count
        if alarming and platform not in events:
            judging.start_event(connection, platform, now, suspect=suspect, polled=count)
            for item in (s for s in slow if s.platform == platform):
                _judge(item, settings, hold=True)
        elif not alarming and platform in events:
            judging.end_event(connection, platform, now)
    for item in slow:
        stored = item.points[:-1]
        requalified = judging.changed(stored, item.verdicts[:-1])
        decisions[item.account_id] = Decision(item.verdicts[-1], requalified)
    return decisions


def _settled(
    recent: tuple[SnapshotRow | None, SnapshotRow | None] | None, new: Observation
) -> bool:
    """True when the new count is plainly good: no drop from a good newest snapshot."""
    if new.followers is None or recent is None or recent[0] is None:
        return True
    newest = recent[0]
    if newest.quality == Quality.SUSPECT or newest.followers is None:
        return False
    return not is_drop(newest.followers, new.followers)


def _judge(item: _Slow, settings: Settings, *, hold: bool) -> None:
    """Judge one account's window with the new observation at its end."""
    item.verdicts = judge(
        item.points,
        confirm_after=settings.confirm_drop_after,
        hold=hold,
        reference=item.window.reference,
    )
