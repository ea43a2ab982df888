"""Fault handling of the poll path on an injected clock: retries, 429 pauses, breaker, quality."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine, select
from sqlmodel import Session

from bot.clock import ManualClock
from bot.daemon.poller import LEASE, RETRY_FAILED_AFTER, PollResult, poll_accounts, select_accounts
from bot.daemon.runtime import Runtime
from bot.http.budget import BREAKER_COOLDOWN, BREAKER_THRESHOLD
from bot.http.client import make_client
from bot.query.accounts import account_by_key
from bot.store.claims import claim_due
from bot.store.models import PollAttempt, Snapshot
from bot.store.tables import ACCOUNT
from tests.helpers.daemon import cycle, make_runtime
from tests.helpers.settings import settings_for

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
PROFILES = "/xrpc/app.bsky.actor.getProfiles"
Handler = Callable[[httpx.Request], httpx.Response]




def profile(actor: str, followers: int) -> dict[str, object]:
    return {
        "did": f"did:plc:{actor.replace('.', '')[:24]}",
        "handle": actor,
        "followersCount": followers,
        "followsCount": 1,
        "postsCount": 2,
    }


def scripted(answers: list[Handler | httpx.Response], seen: list[httpx.Request]) -> Handler:
    """Answer the n-th request with the n-th scripted response (the last one repeats)."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers[min(len(seen) - 1, len(answers) - 1)]
        return answer(request) if callable(answer) else answer

    return handle


def ok(followers: int = 5000) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        actors = request.url.params.get_list("actors")
        return httpx.Response(200, json={"profiles": [profile(a, followers) for a in actors]})

    return handle


def mastodon_ok(request: httpx.Request) -> httpx.Response:
    acct = request.url.params.get("acct", "x")
    return httpx.Response(
        200,
        json={
            "id": "1",
            "username": acct,
            "acct": acct,
            "followers_count": 10,
            "following_count": 1,
            "statuses_count": 3,
        },
    )


def attempts(engine: Engine) -> list[tuple[str, int | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(PollAttempt.outcome, PollAttempt.http_status).order_by(PollAttempt.id)  # type: ignore[call-overload,arg-type]
        )
        return [(r[0], r[1]) for r in rows]


def test_503_503_200_is_one_good_poll_after_two_backoffs(engine: Engine) -> None:
    clock, seen = ManualClock(T0), []
    runtime, sleep = make_runtime(settings_for(["a.bsky.social"]), clock)
    answers: list[Handler | httpx.Response] = [httpx.Response(503), httpx.Response(503), ok()]
    [result] = cycle(engine, runtime, scripted(answers, seen))
    assert result.outcome == "ok" and len(seen) == 3
    assert len(sleep.waits) == 2
    assert 0 <= sleep.waits[0] <= 0.5 and 0 <= sleep.waits[1] <= 1.0  # full jitter, capped
    assert attempts(engine) == [("ok", None)]


def test_persistent_503_fails_after_its_attempts_and_is_retried_sooner(engine: Engine) -> None:
    clock, seen = ManualClock(T0), []
    runtime, _ = make_runtime(settings_for(["a.bsky.social"]), clock)
    [result] = cycle(engine, runtime, scripted([httpx.Response(503)], seen))
    assert result.outcome == "http_error" and len(seen) == 3
    with Session(engine) as session:
        account = account_by_key(session, "bluesky:a.bsky.social")
        assert account.next_poll_at is not None
        assert account.next_poll_at - T0 <= RETRY_FAILED_AFTER + timedelta(seconds=5)
    with engine.connect() as connection:
        assert connection.execute(select(Snapshot.id)).first() is None  # type: ignore[call-overload]


def test_timeouts_are_retried(engine: Engine) -> None:
    clock, seen = ManualClock(T0), []

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    runtime, _ = make_runtime(settings_for(["a.bsky.social"]), clock)
    [result] = cycle(engine, runtime, scripted([slow, slow, ok()], seen))
    assert result.outcome == "ok" and len(seen) == 3


def test_permanent_errors_are_not_retried(engine: Engine) -> None:
    for status, outcome in ((401, "auth_error"), (403, "auth_error"), (302, "http_error")):
        clock, seen = ManualClock(T0 + timedelta(days=status)), []
        handle = f"s{status}.bsky.social"
        runtime, sleep = make_runtime(settings_for([handle]), clock)
        answer = httpx.Response(status, headers={"Location": "/login"}, text="<html>login</html>")
        [result] = cycle(engine, runtime, scripted([answer], seen))
        assert (result.outcome, len(seen), sleep.waits) == (outcome, 1, [])


def test_429_pauses_that_platform_only_until_its_reset(engine: Engine) -> None:
    clock = ManualClock(T0)
    settings = settings_for(["a.bsky.social"], ["user@social.example"])
    runtime, _ = make_runtime(settings, clock)
    seen: list[httpx.Request] = []
    limited = {"on": True}

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "social.example":
            return mastodon_ok(request)
        if limited["on"]:
            return httpx.Response(429, headers={"Retry-After": "120"}, json={"error": "slow"})
        return ok()(request)

    results = {r.platform: r.outcome for r in cycle(engine, runtime, handle)}
    assert results == {"bluesky": "rate_limited", "mastodon": "ok"}
    assert runtime.gate("bluesky").view().state == "rate_limited"
    with Session(engine) as session:
        account = account_by_key(session, "bluesky:a.bsky.social")
        assert account.next_poll_at == T0 + timedelta(seconds=120)
    # A minute later nothing is due; the 429 was not retried.
    bluesky_requests = sum(1 for r in seen if r.url.path == PROFILES)
    clock.advance(timedelta(seconds=60))
    assert cycle(engine, runtime, handle) == []
    assert sum(1 for r in seen if r.url.path == PROFILES) == bluesky_requests == 1
    limited["on"] = False
    clock.advance(timedelta(seconds=60))
    [again] = cycle(engine, runtime, handle)
    assert (again.platform, again.outcome) == ("bluesky", "ok")


def test_breaker_opens_after_repeated_failures_then_probes_and_recovers(engine: Engine) -> None:
    clock, seen = ManualClock(T0), []
    handles = [f"u{i}.bsky.social" for i in range(BREAKER_THRESHOLD * 25)]
    runtime, _ = make_runtime(settings_for(handles), clock)
    down = {"on": True}

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503) if down["on"] else ok()(request)

    first = cycle(engine, runtime, handle)
    assert {r.outcome for r in first} == {"http_error"}
    view = runtime.gate("bluesky").view()
    assert view.state == "circuit_open" and view.until is not None
    # While open, even accounts asked for by name are deferred without a request.
    before = len(seen)
    deferred = poll_named(engine, runtime, handle)
    assert {r.outcome for r in deferred} == {"deferred"} and len(seen) == before
    # The cooldown passes; the probe fails; the circuit stays open for longer.
    clock.advance(view.until - clock())
    probe = poll_named(engine, runtime, handle)
    assert {r.outcome for r in probe} == {"http_error", "deferred"}
    assert len(seen) == before + 3  # one probe batch, three attempts
    longer = runtime.gate("bluesky").view().until
    assert longer is not None and longer - clock() == BREAKER_COOLDOWN * 2
    clock.advance(longer - clock())
    down["on"] = False
    recovered = poll_named(engine, runtime, handle)
    assert {r.outcome for r in recovered} >= {"ok"}
    assert runtime.gate("bluesky").view().state == "ok"
    assert {r.outcome for r in poll_named(engine, runtime, handle)} == {"ok"}


def poll_named(engine: Engine, runtime: Runtime, handler: Handler) -> list[PollResult]:
    """``bot poll --all`` through the runtime: every account, due or not."""

    async def go() -> list[PollResult]:
        with Session(engine) as session:
            accounts = select_accounts(session, runtime.clock(), everything=True)
        async with make_client(transport=httpx.MockTransport(handler)) as client:
            return await poll_accounts(
                accounts,
                engine=engine,
                settings=runtime.settings,
                client=client,
                clock=runtime.clock,
                runtime=runtime,
            )

    return asyncio.run(go())


def test_suspect_zero_then_recovery_keeps_the_zero_out_of_growth(engine: Engine) -> None:
    clock = ManualClock(T0)
    runtime, _ = make_runtime(settings_for(["a.bsky.social"]), clock)
    outcomes = []
    for followers in (5000, 0, 5010):
        [result] = cycle(engine, runtime, ok(followers))
        outcomes.append(result.outcome)
        clock.advance(timedelta(hours=6))
    assert outcomes == ["ok", "suspect", "ok"]
    assert qualities(engine) == ["ok", "suspect", "ok"]


def test_a_drop_the_next_poll_confirms_is_labelled(engine: Engine) -> None:
    clock = ManualClock(T0)
    runtime, _ = make_runtime(settings_for(["a.bsky.social"]), clock)
    for followers in (5000, 3000, 3010, 2990):
        cycle(engine, runtime, ok(followers))
        clock.advance(timedelta(hours=6))
    assert qualities(engine) == ["ok", "confirmed_drop", "ok", "ok"]


def qualities(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(Snapshot.quality).order_by(Snapshot.captured_at)  # type: ignore[call-overload]
            ).scalars()
        )


def test_after_downtime_each_account_is_polled_once(engine: Engine) -> None:
    clock, seen = ManualClock(T0), []
    runtime, _ = make_runtime(settings_for(["a.bsky.social", "b.bsky.social"]), clock)
    cycle(engine, runtime, scripted([ok()], seen))
    clock.advance(timedelta(days=3))  # twelve missed 6-hour slots
    again = cycle(engine, runtime, scripted([ok()], seen))
    assert len(again) == 2 and len(seen) == 2
    assert cycle(engine, runtime, scripted([ok()], seen)) == []


def test_next_poll_is_jittered_earlier_never_later(engine: Engine) -> None:
    clock = ManualClock(T0)
    handles = [f"j{i}.bsky.social" for i in range(30)]
    runtime, _ = make_runtime(settings_for(handles), clock)
    cycle(engine, runtime, ok())
    with Session(engine) as session:
        due = {account_by_key(session, f"bluesky:{h}").next_poll_at for h in handles}
    interval = timedelta(hours=6)
    assert all(
        d is not None and T0 + interval - timedelta(minutes=10) <= d <= T0 + interval for d in due
    )
    assert len(due) > 20  # spread, not one instant


def test_a_lease_keeps_other_workers_off_until_it_runs_out(engine: Engine) -> None:
    clock = ManualClock(T0)
    runtime, _ = make_runtime(settings_for(["a.bsky.social", "b.bsky.social"]), clock)
    cycle(engine, runtime, ok())  # creates and polls both
    clock.advance(timedelta(hours=6))
    mine = claim_due(engine, clock(), worker="w1", lease=LEASE, limit=1)
    theirs = claim_due(engine, clock(), worker="w2", lease=LEASE, limit=10)
    assert len(mine) == 1 and len(theirs) == 1 and mine[0].id != theirs[0].id
    assert claim_due(engine, clock(), worker="w3", lease=LEASE, limit=10) == []
    clock.advance(LEASE)  # w1 and w2 died without finishing
    taken = claim_due(engine, clock(), worker="w3", lease=LEASE, limit=10)
    assert sorted(a.id or 0 for a in taken) == sorted([mine[0].id or 0, theirs[0].id or 0])


def test_a_worker_whose_clock_reads_earlier_does_not_take_a_fresh_lease(engine: Engine) -> None:
    # Two workers claim at once; the second read its clock a little before the first took its
    # lease (or runs a few seconds behind on another host): the lease ends a little more than
    # one lease after its ``now``, and it is held, not stale.
    clock = ManualClock(T0)
    runtime, _ = make_runtime(settings_for(["a.bsky.social", "b.bsky.social"]), clock)
    cycle(engine, runtime, ok())
    clock.advance(timedelta(hours=6))
    first = claim_due(engine, clock() + timedelta(seconds=3), worker="w1", lease=LEASE, limit=10)
    assert len(first) == 2
    assert claim_due(engine, clock(), worker="w2", lease=LEASE, limit=10) == []
    # A lease ending days ahead was taken before the clock stepped back: stale, taken over.
    stepped_back = clock() - timedelta(days=3)
    taken = claim_due(engine, stepped_back, worker="w3", lease=LEASE, limit=10)
    assert len(taken) == 0  # not due on the stepped-back clock (due times are pull_back's)
    with engine.begin() as connection:
        connection.execute(ACCOUNT.update().values(next_poll_at=stepped_back))
    taken = claim_due(engine, stepped_back, worker="w3", lease=LEASE, limit=10)
    assert sorted(a.id for a in taken) == sorted(a.id for a in first)


def test_each_mastodon_instance_has_its_own_budget(engine: Engine) -> None:
    clock = ManualClock(T0)
    settings = settings_for([], ["a@busy.example", "b@calm.example"])
    runtime, _ = make_runtime(settings, clock)

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host == "busy.example":
            return httpx.Response(429, headers={"Retry-After": "86400"}, json={"error": "slow"})
        return mastodon_ok(request)

    outcomes = {r.handle: r.outcome for r in cycle(engine, runtime, handle)}
    assert outcomes == {"a@busy.example": "rate_limited", "b@calm.example": "ok"}
    assert runtime.gate("mastodon", "busy.example").view().state == "rate_limited"
    assert runtime.gate("mastodon", "calm.example").view().state == "ok"
    assert runtime.views()["mastodon"].state == "rate_limited"  # status shows the worst
    clock.advance(timedelta(hours=6))
    assert [r.handle for r in cycle(engine, runtime, handle)] == ["b@calm.example"]
