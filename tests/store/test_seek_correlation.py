"""Growth's candidates are older than the account's own current figure, not any account's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.query import rows as views
from bot.store.accounts import sync_accounts
from bot.store.writes import insert_snapshots
from tests.helpers.settings import settings_for
from tests.helpers.store import snap

AT = datetime(2025, 6, 1, 12, tzinfo=UTC)
SETTINGS = settings_for(["quiet.bsky.social", "busy.bsky.social"], timezone=UTC)


def test_a_quiet_account_compares_its_last_two_points_whatever_the_others_did(
    engine: Engine,
) -> None:
    # quiet's last two polls sit in the 7d window's tolerance, its current one the newer;
    # busy was polled at AT. The baseline is quiet's older point: the newest before its own
    # current figure (the seek once compared with the newest snapshot of any account).
    with Session(engine) as session:
        quiet, busy = sync_accounts(session, SETTINGS, AT - timedelta(days=30))
        rows = [
            snap(quiet.id or 0, AT - timedelta(days=7, hours=5), 100),
            snap(quiet.id or 0, AT - timedelta(days=7, hours=2), 130),
            snap(busy.id or 0, AT - timedelta(days=7), 10),
            snap(busy.id or 0, AT, 20),
        ]
        insert_snapshots(session.connection(), rows)
        session.commit()
    lines = {
        line["handle"]: line
        for line in views.growth_rows(engine, SETTINGS, period="7d", at=AT, group=None)
    }
    assert (lines["quiet.bsky.social"]["previous"], lines["quiet.bsky.social"]["change"]) == (
        100,
        30,
    )
    assert lines["busy.bsky.social"]["change"] == 10
