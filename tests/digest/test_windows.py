"""The digest's windows against `bot growth` on histories made to split the seeks apart.

The digest seeks the current figure once and every window's two candidates after it in one
statement (bot/digest/build.py ``_gather``); each case here is one that a wrong seek answers
differently: a suspect newest point, polling that stopped just before a window's target, and
the candidate before the target winning over the one after it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.digest import build_digest
from bot.kinds import Quality
from bot.query import rows
from bot.store.models import Account
from bot.store.writes import insert_snapshots
from tests.helpers.settings import settings_for
from tests.helpers.store import snap

DAY = date(2024, 6, 15)
AT = datetime(2024, 6, 16, tzinfo=UTC) - timedelta(microseconds=1)  # DAY's last instant (UTC)
NOW = datetime(2024, 7, 1, tzinfo=UTC)
KEY = "bluesky:a.bsky.social"
H = timedelta(hours=1)

Row = tuple[datetime, int, int, Quality]


def stored(engine: Engine, history: list[Row]) -> None:
    """One account with ``history`` (instant, followers, posts, quality)."""
    with Session(engine) as session:
        account = Account(
            platform="bluesky", handle="a.bsky.social", created_at=datetime(2020, 1, 1, tzinfo=UTC)
        )
        session.add(account)
        session.commit()
        account_id = account.id or 0
    with engine.begin() as connection:
        insert_snapshots(connection, [snap(account_id, *row) for row in history])


def windows(engine: Engine) -> dict[str, tuple[int | None, int | None]]:
    """The digest's (change, posts change) per window, checked against `bot growth` at DAY's end."""
    config = settings_for(["a.bsky.social"])
    line = build_digest(engine, config, DAY, now=NOW).account(KEY)
    found = {}
    for window in ("1d", "7d", "30d", "365d"):
        [row] = rows.growth_rows(engine, config, period=window, at=AT, group=None)
        assert (line.change[window], line.posts_change[window], line.followers) == (
            row["change"],
            row["posts_change"],
            row["followers"],
        ), window
        found[window] = (line.change[window], line.posts_change[window])
    return found


OK, SUSPECT = Quality.OK, Quality.SUSPECT


def test_a_suspect_newest_point_is_neither_the_figure_nor_hidden(engine: Engine) -> None:
    stored(
        engine,
        [
            (AT - timedelta(days=1), 1_000, 50, OK),
            (AT - 2 * H, 1_100, 55, OK),
            (AT - H, 0, 0, SUSPECT),
        ],
    )
    assert windows(engine)["1d"] == (100, 5)
    line = build_digest(engine, settings_for(["a.bsky.social"]), DAY, now=NOW).account(KEY)
    assert (line.followers, line.posts) == (1_100, 55)
    # The suspect point is still the last data the platform gave.
    assert line.last_data_at == AT - H


def test_polling_that_stopped_just_before_a_target_measures_from_the_point_before(
    engine: Engine,
) -> None:
    target = AT - timedelta(days=7)  # 7d's tolerance is 21 h either side
    stored(engine, [(target - 5 * H, 1_000, 10, OK), (target - 2 * H, 1_040, 12, OK)])
    found = windows(engine)
    # The newest point is itself the candidate before the target: the one before it is taken.
    assert found["7d"] == (40, 2)
    assert found["1d"] == (None, None)
    line = build_digest(engine, settings_for(["a.bsky.social"]), DAY, now=NOW).account(KEY)
    assert line.followers == 1_040 and line.last_data_at == target - 2 * H


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (H, 3 * H, 100),  # the one before is nearer
        (2 * H, 2 * H, 100),  # a tie goes to the older one
        (3 * H, H, 70),  # the one after is nearer
    ],
)
def test_the_nearer_candidate_wins_and_a_tie_goes_to_the_older(
    engine: Engine, before: timedelta, after: timedelta, expected: int
) -> None:
    target = AT - timedelta(days=30)
    stored(
        engine,
        [
            (target - before, 1_000, 1, OK),
            (target + after, 1_030, 2, OK),
            (AT - H, 1_100, 3, OK),
        ],
    )
    assert windows(engine)["30d"][0] == expected


def test_suspect_candidates_are_passed_over_for_good_ones(engine: Engine) -> None:
    target = AT - timedelta(days=365)
    stored(
        engine,
        [
            (target - 3 * H, 900, 1, OK),
            (target - H, 5, 1, SUSPECT),
            (target + H, 7, 1, SUSPECT),
            (target + 5 * H, 950, 2, OK),
            (AT - H, 1_000, 3, OK),
        ],
    )
    assert windows(engine)["365d"] == (100, 2)
