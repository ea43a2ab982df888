"""The daemon's digest job on an injected clock: due after digest_at, once per day."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import ManualClock
from bot.config import AccountSettings, PlatformSettings, Settings
from bot.digest.daily import due_day, send_due_digests
from bot.digest.deliver import UNKNOWN_WAIT
from bot.kinds import DeliveryStatus
from bot.store import digests
from bot.store.accounts import sync_accounts
from bot.store.writes import PollRecord, SnapshotValues, save_poll_records

TZ = ZoneInfo("Africa/Casablanca")  # UTC+1 all year since 2018
SETTINGS = Settings(
    timezone=TZ,
    digest_at=time(8, 0),
    accounts=(AccountSettings("bluesky", "a.bsky.social"),),
    platforms={"bluesky": PlatformSettings("bluesky")},
)


def store_one(engine: Engine, at: datetime) -> None:
    with Session(engine) as session:
        [account] = sync_accounts(session, SETTINGS, at)
        account_id = account.id or 0
    observation = SnapshotValues("did:plc:a", 1500, 10, 20)
    record = PollRecord(account_id, at, 5, "ok", "active", at + timedelta(hours=6), observation)
    with engine.begin() as connection:
        save_poll_records(connection, [record])


def test_due_day_is_yesterday_once_digest_at_has_passed() -> None:
    before = datetime(2025, 5, 2, 6, 59, tzinfo=UTC)  # 07:59 in Casablanca
    assert due_day(SETTINGS, before) is None
    after = datetime(2025, 5, 2, 7, 0, tzinfo=UTC)  # 08:00 local
    assert str(due_day(SETTINGS, after)) == "2025-05-01"


def test_daily_digest_is_sent_once_after_digest_at(engine: Engine, tmp_path: Path) -> None:
    clock = ManualClock(datetime(2025, 5, 2, 6, 0, tzinfo=UTC))
    files = tmp_path / "digests"

    def send() -> list[str]:
        results = asyncio.run(send_due_digests(engine, SETTINGS, clock, files_dir=files))
        return [f"{r.channel}:{r.status}" for r in results]

    assert send() == []  # no history at all: nothing to describe
    store_one(engine, datetime(2025, 5, 1, 12, 0, tzinfo=UTC))
    assert send() == []  # 07:00 local: not yet
    clock.advance(timedelta(hours=1, minutes=5))
    assert send() == ["files:sent"]
    assert (files / "2025-05-01.md").is_file() and (files / "2025-05-01.json").is_file()
    assert send() == []  # once per day and channel
    clock.advance(timedelta(days=1))
    assert send() == ["files:sent"]
    assert (files / "2025-05-02.md").is_file()


def test_an_unknown_delivery_builds_nothing_until_its_wait_is_over(
    engine: Engine, tmp_path: Path
) -> None:
    clock = ManualClock(datetime(2025, 5, 2, 7, 5, tzinfo=UTC))
    files = tmp_path / "digests"
    store_one(engine, datetime(2025, 5, 1, 12, 0, tzinfo=UTC))
    held = digests.claim(
        engine, day=date(2025, 5, 1), channel="files", now=clock(), lease=timedelta(minutes=15)
    )
    assert held is not None
    digests.finish(engine, held, status=DeliveryStatus.UNKNOWN, now=clock())

    def send() -> list[str]:
        results = asyncio.run(send_due_digests(engine, SETTINGS, clock, files_dir=files))
        return [f"{r.channel}:{r.status}" for r in results]

    clock.advance(UNKNOWN_WAIT - timedelta(minutes=1))
    assert send() == []  # not even built: the receiver may have it
    assert not files.exists()
    clock.advance(timedelta(minutes=2))
    assert send() == ["files:sent"]
