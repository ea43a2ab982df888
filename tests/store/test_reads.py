"""Store functions that other layers call instead of writing SQL: scheduling, leases, reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlmodel import Session

from bot.config import AccountSettings, Settings
from bot.growth import Point
from bot.kinds import AccountStatus, GateState, PollOutcome, Quality
from bot.store import health, history
from bot.store.accounts import scheduled_accounts, sync_accounts
from bot.store.attempts import last_attempts
from bot.store.claims import claim_due, release_leases
from bot.store.db import ping
from bot.store.models import Account
from bot.store.tables import ACCOUNT
from bot.store.writes import PollRecord, insert_snapshots, save_poll_records
from tests.helpers.report_model import pick_report_points
from tests.helpers.store import snap

T0 = datetime(2021, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def configured(engine: Engine, *handles: str) -> list[int]:
    """Sync bluesky accounts (due at T0) and return their ids."""
    settings = Settings(accounts=tuple(AccountSettings("bluesky", h) for h in handles))
    with Session(engine) as session:
        return [a.id or 0 for a in sync_accounts(session, settings, T0)]


def test_scheduled_accounts_due_all_by_platform_and_never_paused(engine: Engine) -> None:
    a, b, c = configured(engine, "a.bsky.social", "b.bsky.social", "c.bsky.social")
    with Session(engine) as session:
        later = session.get(Account, b)
        paused = session.get(Account, c)
        assert later is not None and paused is not None
        later.next_poll_at = T0 + HOUR
        paused.status = AccountStatus.PAUSED
        session.add_all([later, paused])
        session.commit()
        due = scheduled_accounts(session, now=T0)
        everything = scheduled_accounts(session, now=T0, everything=True)
        elsewhere = scheduled_accounts(session, now=T0, platform="mastodon", everything=True)
    assert [x.id for x in due] == [a]
    assert [x.id for x in everything] == [a, b]
    assert elsewhere == []


def test_release_leases_of_one_worker_or_all(engine: Engine) -> None:
    configured(engine, "a.bsky.social", "b.bsky.social")
    claim_due(engine, T0, worker="w1", lease=HOUR, limit=1)
    claim_due(engine, T0, worker="w2", lease=HOUR, limit=1)

    def owners() -> list[str | None]:
        with engine.connect() as connection:
            statement = select(ACCOUNT.c.lease_owner).order_by(ACCOUNT.c.id)
            return list(connection.execute(statement).scalars())

    assert owners() == ["w1", "w2"]
    release_leases(engine, "w1")
    assert owners() == [None, "w2"]
    release_leases(engine)
    assert owners() == [None, None]


def test_snapshots_between_and_first_captured_at(engine: Engine) -> None:
    a, b = configured(engine, "a.bsky.social", "b.bsky.social")
    with engine.connect() as connection:
        assert history.first_captured_at(connection) is None
    with engine.begin() as connection:
        insert_snapshots(
            connection,
            [
                snap(a, T0 + 2 * HOUR, 12, quality=Quality.OK),
                snap(a, T0, 10, quality=Quality.OK),
                snap(a, T0 + HOUR, 0, quality=Quality.SUSPECT),
                snap(a, T0 + 9 * HOUR, 19, quality=Quality.OK),
            ],
        )
    with engine.connect() as connection:
        assert history.first_captured_at(connection) == T0
        found = history.snapshots_between(connection, [a, b], since=T0 + HOUR, until=T0 + 2 * HOUR)
    assert [(r.followers, r.quality) for r in found[a]] == [(0, "suspect"), (12, "ok")]
    assert found[b] == []


def test_last_attempts_are_the_newest_at_or_before(engine: Engine) -> None:
    a, b = configured(engine, "a.bsky.social", "b.bsky.social")
    outcomes = [(T0, PollOutcome.OK), (T0 + HOUR, PollOutcome.TIMEOUT), (T0 + 2 * HOUR, None)]
    for at, outcome in outcomes:
        record = PollRecord(a, at, 5, outcome or PollOutcome.OK, AccountStatus.ACTIVE, None)
        with engine.begin() as connection:
            save_poll_records(connection, [record])
    with engine.connect() as connection:
        found = last_attempts(connection, [a, b], at=T0 + HOUR + timedelta(minutes=30))
    assert set(found) == {a}
    assert (found[a].started_at, found[a].outcome) == (T0 + HOUR, "timeout")


def test_platform_states_add_counts_and_keep_the_latest_success(engine: Engine) -> None:
    def seen(state: GateState, success: datetime) -> health.PlatformStateRow:
        return health.PlatformStateRow(state, T0 + HOUR, 0, success, None, "token=abcd1234 x")

    for success, state in ((T0 + HOUR, GateState.RATE_LIMITED), (T0, GateState.OK)):
        with engine.begin() as connection:
            health.save_states(
                connection,
                states={"bluesky": seen(state, success)},
                counted={"bluesky": (3, 1)},
                now=success,
                redact=lambda text: text.replace("abcd1234", "[REDACTED]"),
            )
    with engine.connect() as connection:
        [row] = health.platform_states(connection)
        pauses = health.shared_pauses(connection, T0)
    assert (row.state, row.requests, row.rate_limited) == ("ok", 6, 2)
    assert row.last_success_at == T0 + HOUR  # the later of the two workers' instants
    assert row.last_error == "token=[REDACTED] x"
    assert pauses == {}


def test_ping_reaches_the_database(engine: Engine) -> None:
    ping(engine)


def test_range_endpoints_agree_with_the_reference_model(engine: Engine) -> None:
    [a] = configured(engine, "a.bsky.social")
    hours = [0, 3, 4, 10, 11, 30, 31, 47]
    rows = [
        snap(a, T0 + h * HOUR, 100 + h, quality=Quality.SUSPECT if h in (4, 30) else Quality.OK)
        for h in hours
    ]
    with engine.begin() as connection:
        insert_snapshots(connection, rows)
    good = [
        Point(r["captured_at"], r["followers"], None, None) for r in rows if r["quality"] == "ok"
    ]
    for first, last in [(-1, 50), (0, 0), (4, 30), (5, 9), (11, 31), (47, 60), (2, 3)]:
        start, end = T0 + first * HOUR, T0 + last * HOUR
        with engine.connect() as connection:
            found = history.range_endpoints(connection, [a], first=start, last=end)[a]
        expected = pick_report_points(good, start, end)
        assert tuple(row.point() if row else None for row in found) == expected
