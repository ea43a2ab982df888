"""The local Mastodon + Bluesky simulator: counters, real shapes, limits, counting and faults."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.clock import ManualClock
from bot.simulator import Counters, Simulator, counters_for, serve_forever
from bot.simulator.counters import bluesky_did, kind_of, mastodon_id
from tests.helpers.simulator import running_simulator

START = datetime(2026, 4, 11, 23, 12, 34, 746804, tzinfo=UTC)
LOOKUP = "/api/v1/accounts/lookup"
ACCOUNTS = "/api/v1/accounts"
PROFILES = "/xrpc/app.bsky.actor.getProfiles"
PROFILE = "/xrpc/app.bsky.actor.getProfile"
MASTODON_KEYS = {
    "id", "username", "acct", "display_name", "locked", "bot", "discoverable", "group",
    "created_at", "note", "url", "uri", "avatar", "avatar_static", "header", "header_static",
    "followers_count", "following_count", "statuses_count", "last_status_at", "emojis", "fields",
}  # fmt: skip
BLUESKY_KEYS = {
    "did", "handle", "displayName", "avatar", "associated", "labels", "createdAt",
    "description", "indexedAt", "followersCount", "followsCount", "postsCount",
}  # fmt: skip

Scenario = Callable[[Simulator, httpx.AsyncClient, ManualClock], Awaitable[None]]


def run(scenario: Scenario, start: datetime = START) -> None:
    """Start a simulator on a manual clock, run ``scenario`` against it, always stop it."""

    async def main() -> None:
        clock = ManualClock(start)
        async with (
            running_simulator(clock) as (simulator, url),
            httpx.AsyncClient(base_url=url, timeout=5) as client,
        ):
            await scenario(simulator, client, clock)

    asyncio.run(main())


# --- counters ---------------------------------------------------------------------------------


def test_counters_are_deterministic_and_differ_between_handles() -> None:
    at = datetime(2025, 6, 1, tzinfo=UTC)
    assert counters_for("bluesky", "alice.bsky.social", at) == counters_for(
        "bluesky", "ALICE.bsky.social", at
    )
    values = {counters_for("bluesky", f"user{i}.bsky.social", at) for i in range(50)}
    assert len(values) == 50
    assert counters_for("mastodon", "alice", at) != counters_for("bluesky", "alice", at)


def test_counters_stay_in_range_and_clamp_before_2020() -> None:
    base = datetime(2020, 1, 1, tzinfo=UTC)
    for i in range(300):
        c = counters_for("mastodon", f"u{i}", base)
        assert 1_000 <= c.followers <= 500_000
        assert 10 <= c.following <= 2_000
        assert 100 <= c.posts <= 20_000
        assert counters_for("mastodon", f"u{i}", datetime(2001, 1, 1, tzinfo=UTC)) == c


def test_counters_grow_over_a_manual_clock_year() -> None:
    clock = ManualClock(datetime(2024, 1, 1, tzinfo=UTC))
    for i in range(50):
        before = counters_for("bluesky", f"grow{i}.example", clock())
        after = counters_for("bluesky", f"grow{i}.example", clock() + timedelta(days=365))
        assert after.followers >= before.followers * 1.04
        assert after.followers <= before.followers * 1.61
        assert after.posts >= before.posts + 182
        assert after.following >= before.following
    previous = Counters(0, 0, 0)
    for _ in range(48):  # never decreases, hour by hour
        now = counters_for("mastodon", "steady", clock.advance(timedelta(hours=1)))
        assert now.followers >= previous.followers and now.posts >= previous.posts
        previous = now


def test_kinds_and_ids() -> None:
    assert kind_of("missing-bob.bsky.social") == "missing"
    assert kind_of("@Suspended_x@mastodon.social") == "suspended"
    assert kind_of("alice.missing.example") == "ok"
    assert kind_of("bob@missing.example") == "ok"
    assert re.fullmatch(r"[1-9]\d{17}", mastodon_id("Gargron"))
    assert mastodon_id("Gargron") == mastodon_id("gargron") != mastodon_id("other")
    assert re.fullmatch(r"did:plc:[a-z2-7]{24}", bluesky_did("bsky.app"))
    assert bluesky_did("BSKY.app") == bluesky_did("bsky.app") != bluesky_did("x.bsky.app")


# --- Mastodon ---------------------------------------------------------------------------------


def test_mastodon_lookup_has_the_account_shape_and_live_counters() -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        r = await client.get(LOOKUP, params={"acct": "Gargron@mastodon.social"})
        assert r.status_code == 200
        body = r.json()
        assert set(body) >= MASTODON_KEYS and "suspended" not in body
        assert body["id"] == mastodon_id("Gargron") and body["username"] == "Gargron"
        expected = counters_for("mastodon", "gargron", clock())
        assert (body["followers_count"], body["following_count"], body["statuses_count"]) == (
            expected.followers,
            expected.following,
            expected.posts,
        )
        assert body["last_status_at"] == "2026-04-11"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00\.000Z", body["created_at"])
        clock.advance(timedelta(days=365))
        later = (await client.get(LOOKUP, params={"acct": "Gargron"})).json()
        assert later["followers_count"] > body["followers_count"]
        assert later["statuses_count"] > body["statuses_count"]
        assert later["id"] == body["id"]

    run(scenario)


def test_mastodon_missing_suspended_and_bad_requests() -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        missing = await client.get(LOOKUP, params={"acct": "missing_bob"})
        assert (missing.status_code, missing.json()) == (404, {"error": "Record not found"})
        r = await client.get(LOOKUP, params={"acct": "suspended_eve@example.org"})
        assert r.status_code == 200
        body = r.json()
        assert body["suspended"] is True
        assert body["followers_count"] == body["following_count"] == body["statuses_count"] == 0
        no_acct = await client.get(LOOKUP)
        assert (no_acct.status_code, no_acct.json()) == (400, {"error": "acct is required"})
        unknown = await client.get(f"{ACCOUNTS}/{mastodon_id('never_served')}")
        assert (unknown.status_code, unknown.json()) == (404, {"error": "Record not found"})

    run(scenario)


def test_mastodon_by_id_and_batch() -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        ids = []
        for user in ("alice", "bob", "suspended_carl"):
            ids.append((await client.get(LOOKUP, params={"acct": user})).json()["id"])
        one = await client.get(f"{ACCOUNTS}/{ids[1]}")
        assert one.status_code == 200 and one.json()["username"] == "bob"
        query = [("id[]", i) for i in [ids[0], mastodon_id("ghost"), ids[2], ids[1]]]
        batch = await client.get(ACCOUNTS, params=query)
        assert batch.status_code == 200
        assert [a["username"] for a in batch.json()] == ["alice", "bob"]
        too_many = await client.get(ACCOUNTS, params=[("id[]", str(i)) for i in range(41)])
        assert too_many.status_code == 422
        assert too_many.json() == {
            "error": "Validation failed: too many accounts requested (maximum 40)"
        }
        forty = await client.get(ACCOUNTS, params=[("id[]", ids[0])] * 40)
        assert forty.status_code == 200

    run(scenario)


def test_mastodon_rate_limit_headers() -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        first = await client.get(LOOKUP, params={"acct": "alice"})
        second = await client.get(LOOKUP, params={"acct": "missing_x"})  # errors count too
        assert first.headers["X-RateLimit-Limit"] == "300"
        assert first.headers["X-RateLimit-Remaining"] == "299"
        assert second.headers["X-RateLimit-Remaining"] == "298"
        assert first.headers["X-RateLimit-Reset"] == "2026-04-11T23:15:00.746804Z"
        clock.advance(timedelta(minutes=5))
        fresh = await client.get(LOOKUP, params={"acct": "alice"})
        assert fresh.headers["X-RateLimit-Remaining"] == "299"
        assert fresh.headers["X-RateLimit-Reset"] == "2026-04-11T23:20:00.746804Z"
        assert "ratelimit-limit" not in fresh.headers

    run(scenario)


# --- Bluesky ----------------------------------------------------------------------------------


def test_bluesky_get_profiles_shape_and_omissions() -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        actors = [
            "alice.bsky.social",
            "missing-x.bsky.social",
            "suspended-y.bsky.social",
            bluesky_did("never.served"),
            "Bob.Example.com",
        ]
        r = await client.get(PROFILES, params=[("actors", a) for a in actors])
        assert r.status_code == 200
        profiles = r.json()["profiles"]
        assert [p["handle"] for p in profiles] == ["alice.bsky.social", "bob.example.com"]
        alice = profiles[0]
        assert set(alice) == BLUESKY_KEYS
        assert alice["did"] == bluesky_did("alice.bsky.social")
        assert alice["associated"]["labeler"] is False and alice["labels"] == []
        expected = counters_for("bluesky", "alice.bsky.social", clock())
        assert (alice["followersCount"], alice["followsCount"], alice["postsCount"]) == (
            expected.followers,
            expected.following,
            expected.posts,
        )
        by_did = await client.get(PROFILES, params={"actors": alice["did"]})
        assert by_did.json()["profiles"][0]["handle"] == "alice.bsky.social"

    run(scenario)


def test_bluesky_batch_limits() -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        many = await client.get(
            PROFILES, params=[("actors", f"u{i}.bsky.social") for i in range(26)]
        )
        assert many.status_code == 400
        assert many.json() == {
            "error": "InvalidRequest",
            "message": "Error: params/actors must NOT have more than 25 items",
        }
        none = await client.get(PROFILES)
        assert none.status_code == 400
        assert none.json()["message"] == 'Error: Params must have the property "actors"'
        ok = await client.get(PROFILES, params=[("actors", f"u{i}.bsky.social") for i in range(25)])
        assert len(ok.json()["profiles"]) == 25

    run(scenario)


def test_bluesky_get_profile_and_errors() -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        ok = await client.get(PROFILE, params={"actor": "carol.bsky.social"})
        assert ok.status_code == 200 and ok.json()["did"] == bluesky_did("carol.bsky.social")
        not_found = {"error": "InvalidRequest", "message": "Profile not found"}
        for actor in ("missing-z.bsky.social", bluesky_did("nobody.example")):
            r = await client.get(PROFILE, params={"actor": actor})
            assert (r.status_code, r.json()) == (400, not_found)
        r = await client.get(PROFILE, params={"actor": "suspended-q.bsky.social"})
        assert r.status_code == 400
        assert r.json() == {"error": "AccountTakedown", "message": "Account has been suspended"}

    run(scenario)


def test_bluesky_rate_limit_headers() -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        first = await client.get(PROFILE, params={"actor": "a.bsky.social"})
        second = await client.get(PROFILES, params={"actors": "a.bsky.social"})
        window_end = datetime(2026, 4, 11, 23, 15, tzinfo=UTC).timestamp()
        assert first.headers["ratelimit-limit"] == "3000"
        assert first.headers["ratelimit-policy"] == "3000;w=300"
        assert first.headers["ratelimit-remaining"] == "2999"
        assert second.headers["ratelimit-remaining"] == "2998"
        assert first.headers["ratelimit-reset"] == str(int(window_end))
        assert "X-RateLimit-Limit" not in first.headers

    run(scenario)


# --- server, counting and faults --------------------------------------------------------------


def test_request_counting_and_stats() -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        for _ in range(3):
            await client.get(PROFILES, params={"actors": "a.bsky.social"})
        await client.get(LOOKUP, params={"acct": "a"})
        assert sim.requests[PROFILES] == 3 and sim.requests[LOOKUP] == 1
        stats = (await client.get("/_sim/stats")).json()
        assert stats == {"requests": {PROFILES: 3, LOOKUP: 1}}
        sim.reset_counts()
        assert (await client.get("/_sim/stats")).json() == {"requests": {}}

    run(scenario)


def test_fault_429_on_each_platform_then_recovery() -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        sim.inject(PROFILES, "429", times=2)
        sim.inject(LOOKUP, "429")
        for _ in range(2):
            r = await client.get(PROFILES, params={"actors": "a.bsky.social"})
            assert r.status_code == 429 and r.headers["Retry-After"] == "30"
            assert r.json() == {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
            assert r.headers["ratelimit-remaining"] == "0"
        assert (await client.get(PROFILES, params={"actors": "a.bsky.social"})).status_code == 200
        m = await client.get(LOOKUP, params={"acct": "alice"})
        assert (m.status_code, m.json()) == (429, {"error": "Too many requests"})
        assert m.headers["Retry-After"] == "30" and m.headers["X-RateLimit-Limit"] == "300"
        assert (await client.get(LOOKUP, params={"acct": "alice"})).status_code == 200
        assert sim.requests[PROFILES] == 3

    run(scenario)


def test_fault_503_malformed_truncated() -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        sim.inject(PROFILES, "503")
        sim.inject(PROFILES, "malformed")
        sim.inject(PROFILES, "truncated")
        params = {"actors": "a.bsky.social"}
        unavailable = await client.get(PROFILES, params=params)
        assert (unavailable.status_code, unavailable.json()) == (
            503,
            {"error": "Service Unavailable"},
        )
        malformed = await client.get(PROFILES, params=params)
        assert malformed.status_code == 200
        assert malformed.headers["content-type"].startswith("application/json")
        with pytest.raises(json.JSONDecodeError):
            malformed.json()
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(PROFILES, params=params)
        healthy = await client.get(PROFILES, params=params)
        assert healthy.json()["profiles"][0]["handle"] == "a.bsky.social"

    run(scenario)


def test_refuses_non_loopback_hosts_and_bad_faults() -> None:
    simulator = Simulator(ManualClock(START))
    for host in ("0.0.0.0", "192.168.1.10", "example.com", "::"):
        with pytest.raises(ValueError):
            asyncio.run(simulator.start(host, 0))
    with pytest.raises(ValueError):
        simulator.inject(PROFILES, "500", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        simulator.inject(PROFILES, "429", 0)


def test_serve_forever_serves_until_cancelled() -> None:
    async def main() -> None:
        ready: asyncio.Queue[str] = asyncio.Queue()
        clock = ManualClock(START)
        task = asyncio.create_task(serve_forever("127.0.0.1", 0, clock, on_ready=ready.put_nowait))
        url = await asyncio.wait_for(ready.get(), 5)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        async with httpx.AsyncClient(base_url=url) as client:
            r = await client.get(LOOKUP, params={"acct": "alice"})
            assert r.json()["followers_count"] == counters_for("mastodon", "alice", START).followers
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with httpx.AsyncClient(base_url=url) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get(LOOKUP, params={"acct": "alice"})

    asyncio.run(main())


def test_a_new_simulator_knows_remembered_ids() -> None:
    """Ids derive from handles; `remember` lets a restarted simulator answer lookups by id."""
    from bot.simulator.x import x_user_id

    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        auth = {"Authorization": "Bearer demo-token"}
        did = bluesky_did("press-office.bsky.social")
        x_id = x_user_id("DGSN_MAROC")
        unknown = await client.get("/2/users", params={"ids": x_id}, headers=auth)
        assert "errors" in unknown.json() and "data" not in unknown.json()
        sim.remember("x", ["DGSN_MAROC"])
        sim.remember("bluesky", ["press-office.bsky.social"])
        known = await client.get("/2/users", params={"ids": x_id}, headers=auth)
        assert known.json()["data"][0]["username"] == "DGSN_MAROC"
        profiles = await client.get(
            "/xrpc/app.bsky.actor.getProfiles", params={"actors": did}
        )
        assert profiles.json()["profiles"][0]["handle"] == "press-office.bsky.social"

    run(scenario)
