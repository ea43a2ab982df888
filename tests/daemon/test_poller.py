"""One poll cycle end to end over MockTransport: batching, statuses, storage, scheduling."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session

from bot.clock import ManualClock
from bot.config import AccountSettings, PlatformSettings, Secret, Settings
from bot.daemon.poller import PollResult, poll_accounts, poll_due, select_accounts
from bot.http.client import make_client
from bot.query.accounts import account_by_key
from bot.store.accounts import sync_accounts
from bot.store.models import PollAttempt, Snapshot
from tests.helpers.settings import settings_for

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
PROFILES = "/xrpc/app.bsky.actor.getProfiles"
PROFILE = "/xrpc/app.bsky.actor.getProfile"


def bluesky_handler(seen: list[httpx.Request], followers: int = 1000) -> httpx.MockTransport:
    """A fake AppView: known actors get profiles; actors starting with 'gone' are omitted."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == PROFILE:
            return httpx.Response(
                400, json={"error": "InvalidRequest", "message": "Profile not found"}
            )
        profiles = [
            {
                "did": f"did:plc:{a.replace('.', '')[:24]}",
                "handle": a,
                "followersCount": followers,
                "followsCount": 5,
                "postsCount": 50,
            }
            for a in request.url.params.get_list("actors")
            if not a.startswith("gone")
        ]
        return httpx.Response(200, json={"profiles": profiles})

    return httpx.MockTransport(handle)




def run_cycle(
    engine: Engine, settings: Settings, transport: httpx.MockTransport, clock: ManualClock
) -> list[PollResult]:
    with Session(engine) as session:
        sync_accounts(session, settings, clock())

    async def go() -> list[PollResult]:
        async with make_client(transport=transport) as client:
            return await poll_due(engine=engine, settings=settings, client=client, clock=clock)

    return asyncio.run(go())


def test_sixty_bluesky_accounts_take_three_requests(engine: Engine) -> None:
    seen: list[httpx.Request] = []
    settings = settings_for([f"user{i}.bsky.social" for i in range(60)])
    results = run_cycle(engine, settings, bluesky_handler(seen), ManualClock(T0))
    assert len(results) == 60 and all(r.outcome == "ok" for r in results)
    assert len(seen) == 3
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Snapshot)).scalar_one() == 60


def test_missing_account_becomes_a_status_not_a_zero(engine: Engine) -> None:
    seen: list[httpx.Request] = []
    settings = settings_for(["here.bsky.social", "gone.bsky.social"])
    results = run_cycle(engine, settings, bluesky_handler(seen), ManualClock(T0))
    outcomes = {r.handle: r.outcome for r in results}
    assert outcomes == {"here.bsky.social": "ok", "gone.bsky.social": "not_found"}
    with Session(engine) as session:
        gone = account_by_key(session, "bluesky:gone.bsky.social")
        assert gone.status == "not_found" and gone.last_error == "Profile not found"
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Snapshot)).scalar_one() == 1
        assert connection.execute(select(func.count()).select_from(PollAttempt)).scalar_one() == 2


def test_accounts_are_rescheduled_and_not_polled_again_until_due(engine: Engine) -> None:
    seen: list[httpx.Request] = []
    clock = ManualClock(T0)
    settings = settings_for(["a.bsky.social"])
    transport = bluesky_handler(seen)
    assert len(run_cycle(engine, settings, transport, clock)) == 1
    clock.advance(timedelta(hours=5))
    assert run_cycle(engine, settings, transport, clock) == []
    clock.advance(timedelta(hours=1))
    assert len(run_cycle(engine, settings, transport, clock)) == 1
    assert len(seen) == 2


def test_second_poll_asks_by_did(engine: Engine) -> None:
    seen: list[httpx.Request] = []
    clock = ManualClock(T0)
    settings = settings_for(["a.bsky.social"])
    run_cycle(engine, settings, bluesky_handler(seen), clock)
    clock.advance(timedelta(hours=6))
    run_cycle(engine, settings, bluesky_handler(seen), clock)
    assert seen[1].url.params.get_list("actors") == ["did:plc:abskysocial"]


def test_a_failing_platform_records_every_account_and_stores_no_value(engine: Engine) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(503, json={"error": "down"}))
    results = run_cycle(
        engine, settings_for(["a.bsky.social", "b.bsky.social"]), transport, ManualClock(T0)
    )
    assert {r.outcome for r in results} == {"http_error"}
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Snapshot)).scalar_one() == 0
        attempts = connection.execute(select(PollAttempt.http_status)).scalars().all()  # type: ignore[call-overload]
    assert attempts == [503, 503]


def test_zero_after_thousands_is_stored_as_suspect(engine: Engine) -> None:
    seen: list[httpx.Request] = []
    clock = ManualClock(T0)
    settings = settings_for(["a.bsky.social"])
    run_cycle(engine, settings, bluesky_handler(seen, followers=5000), clock)
    clock.advance(timedelta(hours=6))
    [result] = run_cycle(engine, settings, bluesky_handler(seen, followers=0), clock)
    assert result.outcome == "suspect"
    with engine.connect() as connection:
        qualities = (
            connection.execute(select(Snapshot.quality).order_by(Snapshot.captured_at))
            .scalars()
            .all()
        )  # type: ignore[call-overload]
    assert qualities == ["ok", "suspect"]


def test_select_accounts_named_and_all(engine: Engine) -> None:
    clock = ManualClock(T0)
    settings = settings_for(["a.bsky.social", "b.bsky.social"])
    with Session(engine) as session:
        sync_accounts(session, settings, clock() + timedelta(hours=1))
        assert select_accounts(session, clock()) == []
        assert len(select_accounts(session, clock(), everything=True)) == 2
        named = [account_by_key(session, "bluesky:b.bsky.social")]
        assert [a.handle for a in select_accounts(session, clock(), keys=named)] == [
            "b.bsky.social"
        ]


def test_poll_accounts_with_nothing_is_nothing(engine: Engine) -> None:
    async def go() -> list[PollResult]:
        async with make_client(transport=bluesky_handler([])) as client:
            return await poll_accounts(
                [], engine=engine, settings=Settings(), client=client, clock=ManualClock(T0)
            )

    assert asyncio.run(go()) == []


def test_token_is_sent_but_never_stored(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    token = "sekrit-token-123"
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(401, json={"error": "The access token is invalid"})

    settings = Settings(
        accounts=(AccountSettings("mastodon", "someone@example.social"),),
        platforms={"mastodon": PlatformSettings("mastodon", token=Secret(token))},
    )
    caplog.set_level(logging.DEBUG)
    [result] = run_cycle(engine, settings, httpx.MockTransport(handler), ManualClock(T0))
    assert seen[0].headers["authorization"] == f"Bearer {token}"
    assert result.outcome == "auth_error" and token not in (result.message or "")
    with engine.connect() as connection:
        dumped = [
            str(row)
            for table in ("account", "poll_attempt", "snapshot")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        ]
    assert dumped and not any(token in row for row in dumped)
    assert token not in caplog.text
    with Session(engine) as session:
        assert account_by_key(session, "mastodon:someone@example.social").status == "auth_error"
