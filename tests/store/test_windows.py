"""The gate's windows read for many accounts at once equal those read one account at a time."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert

from bot.kinds import CorrectionAction, Quality
from bot.store import judging
from bot.store.tables import ACCOUNT, CORRECTION, SNAPSHOT

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _seed(engine: Engine, rng: random.Random) -> list[int]:
    """Accounts with mixed histories: suspect rows, empty counts, hand marks, undone ones."""
    ids = list(range(1, 9))
    with engine.begin() as connection:
        for account_id in ids:
            connection.execute(
                insert(ACCOUNT).values(
                    id=account_id, platform="x", handle=f"a{account_id}", groups=[],
                    status="active", created_at=T0,
                )
            )
            n = rng.choice([0, 1, 2, 5, 30])
            for i in range(n):
                at = T0 + timedelta(hours=i)
                quality = rng.choice([Quality.OK] * 3 + [Quality.SUSPECT, Quality.CONFIRMED_DROP])
                followers = None if rng.random() < 0.15 else rng.randint(0, 5000)
                connection.execute(
                    insert(SNAPSHOT).values(
                        account_id=account_id, captured_at=at, followers=followers,
                        precision=1, source="import", quality=quality,
                    )
                )
                if rng.random() < 0.2:
                    action = rng.choice(
                        [CorrectionAction.MARK_OK, CorrectionAction.MARK_SUSPECT,
                         CorrectionAction.REPLACE]
                    )
                    connection.execute(
                        insert(CORRECTION).values(
                            account_id=account_id, captured_at=at, action=action,
                            field="quality", origin="test", at=T0,
                            undone_at=T0 if rng.random() < 0.3 else None,
                        )
                    )
    return ids


def test_windows_of_many_accounts_equal_each_accounts_window(engine: Engine) -> None:
    rng = random.Random(7)
    ids = _seed(engine, rng)
    seen: list[judging.Window] = []
    with engine.connect() as connection:
        for _ in range(6):
            since = {a: T0 + timedelta(hours=rng.randint(-2, 35)) for a in ids}
            many = judging.windows(connection, since)
            assert many == {a: judging.window(connection, a, since[a]) for a in ids}
            seen += many.values()
    # The cases that matter were met: a reference before the anchor, hand marks, empty windows.
    assert any(w.reference is not None for w in seen)
    assert any(p.pinned for w in seen for p in w.points)
    assert any(not w.points for w in seen)
