"""Simulator faults, count glitches and enforced budgets, hit with raw httpx on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.clock import ManualClock
from bot.platforms import REGISTRY
from bot.simulator import Simulator, counters_for
from bot.simulator.faults import FAULT_KINDS, LOGIN_PAGE
from bot.simulator.glitches import CounterSource
from bot.simulator.stalls import drip_chunks
from bot.simulator.youtube import PacificDayWindow, rounded
from tests.helpers.processes import simulate, simulator_url
from tests.helpers.simulator import running_simulator

START = datetime(2026, 4, 11, 23, 12, 34, 746804, tzinfo=UTC)
TOKEN = "123456:sim-secret"
SHORT = 0.3  # real seconds a hang or a drip lasts in these tests

Scenario = Callable[[Simulator, httpx.AsyncClient, ManualClock], Awaitable[None]]


@dataclass(frozen=True)
class Call:
    """One representative read on a simulated platform, and where its follower count is."""

    path: str
    params: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)
    followers: Callable[[Any], int] | None = None
    counters_key: tuple[str, str] | None = None  # (platform, handle) as the counters see it


CALLS: dict[str, Call] = {
    "x": Call(
        "/2/users/by",
        {"usernames": "alice", "user.fields": "public_metrics"},
        {"Authorization": "Bearer sim"},
        lambda b: b["data"][0]["public_metrics"]["followers_count"],
        ("x", "alice"),
    ),
    "mastodon": Call(
        "/api/v1/accounts/lookup",
        {"acct": "alice@sim.social"},
        followers=lambda b: b["followers_count"],
        counters_key=("mastodon", "alice"),
    ),
    "bluesky": Call(
        "/xrpc/app.bsky.actor.getProfiles",
        {"actors": "alice.bsky.social"},
        followers=lambda b: b["profiles"][0]["followersCount"],
        counters_key=("bluesky", "alice.bsky.social"),
    ),
    "telegram": Call(
        f"/bot{TOKEN}/getChatMemberCount",
        {"chat_id": "@alice_channel"},
        followers=lambda b: b["result"],
        counters_key=("telegram", "@alice_channel"),
    ),
    "graph": Call(
        "/v21.0/",
        {"ids": "alicepage", "fields": "followers_count"},
        {"Authorization": "Bearer sim"},
        lambda b: b["alicepage"]["followers_count"],
        ("facebook", "alicepage"),
    ),
    "youtube": Call(
        "/youtube/v3/channels",
        {"part": "statistics", "forHandle": "@alice", "key": "sim"},
        followers=lambda b: int(b["items"][0]["statistics"]["subscriberCount"]),
        counters_key=("youtube", "@alice"),
    ),
    "github": Call(
        "/users/alice",
        {},
        followers=lambda b: b["followers"],
        counters_key=("github", "alice"),
    ),
    "twitch": Call(
        "/helix/users", {"login": "alice"}, {"Authorization": "Bearer s", "Client-Id": "c"}
    ),
    "json": Call(
        "/json/alice",
        {},
        followers=lambda b: b["data"]["follower_count"],
        counters_key=("json", "alice"),
    ),
}


def run(scenario: Scenario, **options: Any) -> None:
    """Start a simulator on a manual clock, run ``scenario`` against it, always stop it."""

    async def main() -> None:
        clock = ManualClock(START)
        options.setdefault("fault_delay", SHORT)
        options.setdefault("drip_seconds", SHORT)
        async with (
            running_simulator(clock, **options) as (simulator, url),
            httpx.AsyncClient(base_url=url, timeout=5) as client,
        ):
            await scenario(simulator, client, clock)

    asyncio.run(main())


async def get(client: httpx.AsyncClient, name: str, **extra: Any) -> httpx.Response:
    """The representative read of platform ``name``."""
    call = CALLS[name]
    return await client.get(call.path, params=call.params, headers=call.headers, **extra)


def window_end_epoch(seconds: int) -> int:
    """The end of ``START``'s ``seconds``-long window, in epoch seconds."""
    return (int(START.timestamp()) // seconds + 1) * seconds


# What each platform's own over-budget answer carries instead of a Retry-After.
RESET_SIGNS: dict[str, Callable[[httpx.Response], bool]] = {
    "x": lambda r: (
        r.headers["x-rate-limit-reset"] == str(window_end_epoch(900))
        and r.headers["x-rate-limit-remaining"] == "0"
    ),
    "mastodon": lambda r: (
        r.headers["X-RateLimit-Reset"] == "2026-04-11T23:15:00.746804Z"
        and r.headers["X-RateLimit-Remaining"] == "0"
    ),
    "bluesky": lambda r: (
        r.headers["ratelimit-reset"] == str(window_end_epoch(300))
        and r.headers["ratelimit-remaining"] == "0"
    ),
    "telegram": lambda r: (
        r.json()["parameters"]["retry_after"] == 1
        and r.json()["description"] == "Too Many Requests: retry after 1"
    ),
    "graph": lambda r: (
        r.status_code == 403
        and r.json()["error"]["code"] == 4
        and json.loads(r.headers["x-app-usage"])["call_count"] == 100
    ),
    "youtube": lambda r: (
        r.status_code == 403 and r.json()["error"]["errors"][0]["reason"] == "quotaExceeded"
    ),
    "github": lambda r: (
        r.status_code == 403
        and r.headers["x-ratelimit-remaining"] == "0"
        and r.headers["x-ratelimit-reset"] == str(window_end_epoch(3600))
    ),
    "twitch": lambda r: r.headers["Ratelimit-Reset"] == str(window_end_epoch(60)),
    "json": lambda r: (
        r.headers["RateLimit-Reset"] == str(window_end_epoch(60) - int(START.timestamp()))
    ),
}
AUTH_BODIES: dict[str, Callable[[Any], bool]] = {
    "x": lambda b: b["status"] == 401 and b["title"] == "Unauthorized",
    "mastodon": lambda b: b == {"error": "The access token is invalid"},
    "bluesky": lambda b: b == {"error": "invalid token"},  # public reads: no auth shape
    "telegram": lambda b: b == {"ok": False, "error_code": 401, "description": "Unauthorized"},
    "graph": lambda b: b["error"]["code"] == 190 and b["error"]["type"] == "OAuthException",
    "youtube": lambda b: b["error"]["details"][0]["reason"] == "API_KEY_INVALID",
    "github": lambda b: b["message"] == "Bad credentials",
    "twitch": lambda b: b["message"] == "Invalid OAuth token",
    "json": lambda b: b == {"error": "invalid token"},
}
AUTH_STATUS = {"graph": 400, "youtube": 400}


# --- every fault kind on every representative platform --------------------------------------


@pytest.mark.parametrize("name", sorted(CALLS))
def test_rate_limit_faults(name: str) -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        platform = sim.platform(name)
        sim.inject(CALLS[name].path, "429")
        sim.inject(CALLS[name].path, "429-date")
        sim.inject(CALLS[name].path, "429-reset")
        seconds = await get(client, name)
        assert (seconds.status_code, seconds.headers["Retry-After"]) == (429, "30")
        assert seconds.json() == platform.rate_limited_body
        dated = await get(client, name)
        assert dated.status_code == 429 and dated.json() == platform.rate_limited_body
        # An HTTP-date from the injected clock, 30 s (rounded up to a second) after it; the
        # Date header follows the same clock, so both readings give the same wait.
        retry_at = parsedate_to_datetime(dated.headers["Retry-After"])
        assert retry_at == datetime(2026, 4, 11, 23, 13, 5, tzinfo=UTC)
        assert parsedate_to_datetime(dated.headers["Date"]) == START.replace(microsecond=0)
        reset = await get(client, name)
        assert "Retry-After" not in reset.headers
        assert reset.status_code == platform.throttled_status
        assert RESET_SIGNS[name](reset)
        assert (await get(client, name)).status_code == 200
        assert sim.faults_served == {"429": 1, "429-date": 1, "429-reset": 1}
        assert sim.rejected == {}  # injected faults are not budget rejections

    run(scenario)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_body_faults(name: str) -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        path = CALLS[name].path
        for kind in ("503", "malformed", "truncated", "redirect", "auth-200", "auth"):
            sim.inject(path, kind)
        unavailable = await get(client, name)
        assert (unavailable.status_code, unavailable.json()) == (
            503,
            {"error": "Service Unavailable"},
        )
        malformed = await get(client, name)
        assert malformed.status_code == 200
        assert malformed.headers["content-type"].startswith("application/json")
        with pytest.raises(json.JSONDecodeError):
            malformed.json()
        with pytest.raises(httpx.RemoteProtocolError):
            await get(client, name)
        redirect = await get(client, name)
        assert (redirect.status_code, redirect.headers["Location"]) == (302, "/login")
        assert redirect.headers["content-type"].startswith("text/html")
        login = await client.get(redirect.headers["Location"])
        assert (login.status_code, login.text) == (200, LOGIN_PAGE)
        auth_200 = await get(client, name)
        assert auth_200.status_code == 200 and AUTH_BODIES[name](auth_200.json())
        auth = await get(client, name)
        assert auth.status_code == AUTH_STATUS.get(name, 401)
        assert auth.json() == auth_200.json()
        assert (await get(client, name)).status_code == 200

    run(scenario)


@pytest.mark.parametrize("name", ["x", "telegram", "github"])
def test_hang_answers_nothing_until_the_bound(name: str) -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        sim.inject(CALLS[name].path, "hang", times=2)
        with pytest.raises(httpx.ReadTimeout):
            await get(client, name, timeout=0.05)
        began = time.monotonic()
        late = await get(client, name)  # no client deadline: the bounded hang ends in a 504
        assert time.monotonic() - began >= SHORT * 0.9
        assert (late.status_code, late.json()) == (504, {"error": "Gateway Timeout"})
        assert (await get(client, name)).status_code == 200

    run(scenario)


@pytest.mark.parametrize("name", ["bluesky", "mastodon", "graph"])
def test_slow_drip_reads_are_short_but_the_whole_is_slow(name: str) -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        normal = (await get(client, name)).json()
        sim.inject(CALLS[name].path, "slow-drip", times=2)
        began = time.monotonic()
        # Each read waits one pause only (well below 0.25 s), so a read timeout never fires...
        dripped = await get(client, name, timeout=httpx.Timeout(5, read=0.25))
        assert time.monotonic() - began >= SHORT * 0.9
        assert dripped.status_code == 200 and dripped.json() == normal
        # ...while an overall deadline shorter than the drip does.
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(get(client, name), SHORT / 3)
        assert (await get(client, name)).json() == normal

    run(scenario)


def test_a_client_gone_mid_drip_ends_the_drip_quietly(caplog: pytest.LogCaptureFixture) -> None:
    # A worker that gives up (or is killed) mid-drip: the simulator stops writing to it, with
    # no traceback in its log (the soak's simulator printed one per killed worker).
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        sim.inject(CALLS["bluesky"].path, "slow-drip")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(get(client, "bluesky"), SHORT / 3)
        await asyncio.sleep(SHORT)  # the drip would go on writing to the closed connection

    with caplog.at_level(logging.ERROR):
        run(scenario)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_drip_cuts_small_and_large_bodies_into_bounded_pieces() -> None:
    assert b"".join(drip_chunks(b"x" * 50)) == b"x" * 50 and len(drip_chunks(b"x" * 50)) == 10
    assert max(map(len, drip_chunks(b"y" * 1000))) == 8
    assert len(drip_chunks(b"z" * 100_000)) == 200
    assert drip_chunks(b"") == [b""]


def test_fault_kinds_are_checked_and_queued_in_order() -> None:
    simulator = Simulator(ManualClock(START))
    with pytest.raises(ValueError, match="unknown fault kind 'teapot'; expected one of"):
        simulator.inject("/users/a", "teapot")  # type: ignore[arg-type]
    assert {
        "429", "429-date", "429-reset", "503", "hang", "slow-drip", "truncated",
        "malformed", "redirect", "auth-200", "auth",
    } == FAULT_KINDS  # fmt: skip

    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        sim.inject("/users/a", "503", times=2)
        sim.inject("/users/a", "auth-200")
        assert sim.faults.pending("/users/a") == 3
        statuses = [(await client.get("/users/a")).status_code for _ in range(4)]
        assert statuses == [503, 503, 200, 200]
        assert sim.faults.pending("/users/a") == 0

    run(scenario)


# --- the server stops promptly with a hang or a drip in flight -------------------------------


@pytest.mark.parametrize("kind", ["hang", "slow-drip"])
def test_stop_cuts_short_a_hang_or_a_drip(kind: str) -> None:
    async def main() -> None:
        simulator = Simulator(ManualClock(START), fault_delay=30, drip_seconds=30)
        url = await simulator.start("127.0.0.1", 0)
        simulator.inject(CALLS["bluesky"].path, kind)  # type: ignore[arg-type]
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            request = asyncio.create_task(get(client, "bluesky"))
            for _ in range(500):  # until the server has taken the request (bounded)
                if simulator.faults_served[kind]:
                    break
                await asyncio.sleep(0.01)
            assert simulator.faults_served[kind] == 1
            began = time.monotonic()
            await simulator.stop()
            assert time.monotonic() - began < 1.5
            try:
                response = await asyncio.wait_for(request, 5)
            except httpx.HTTPError:
                pass  # the drip is cut off mid-body
            else:
                assert response.status_code == 504  # the hang answers at once
        with pytest.raises(httpx.ConnectError):
            async with httpx.AsyncClient(base_url=url) as client:
                await get(client, "bluesky")

    asyncio.run(main())


# --- count glitches ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(n for n in CALLS if CALLS[n].counters_key))
def test_zero_glitch_then_recovery_on_every_platform(name: str) -> None:
    call = CALLS[name]
    assert call.followers is not None and call.counters_key is not None
    read = call.followers
    platform, handle = call.counters_key

    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        real = counters_for(platform, handle, clock()).followers
        expected = rounded(real) if name == "youtube" else real
        assert read((await get(client, name)).json()) == expected
        sim.glitch(platform, handle.upper(), "zero", times=2)
        assert [read((await get(client, name)).json()) for _ in range(3)] == [0, 0, expected]
        sim.glitch(platform, handle, "drop")  # factor 0.5, once
        dropped = int(real * 0.5)
        want = rounded(dropped) if name == "youtube" else dropped
        assert [read((await get(client, name)).json()) for _ in range(2)] == [want, expected]

    run(scenario)


def test_lasting_drop_and_the_glitch_rules() -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        sim.glitch("mastodon", "alice@sim.social", "drop", times=None, factor=0.7)
        for _ in range(5):
            real = counters_for("mastodon", "alice", clock()).followers
            got = (await get(client, "mastodon")).json()["followers_count"]
            assert got == int(real * 0.7) < real * 0.8  # a drop over 20%, every time
            clock.advance(timedelta(days=1))
        assert sim.counters.pending("mastodon", "alice") is None
        sim.counters.clear()
        real = counters_for("mastodon", "alice", clock()).followers
        assert (await get(client, "mastodon")).json()["followers_count"] == real
        # Facebook and Instagram share the Graph sim but not their glitches.
        sim.glitch("instagram", "alicepage", "zero")
        assert (await get(client, "graph")).json()["alicepage"]["followers_count"] > 0

    run(scenario)
    simulator = Simulator(ManualClock(START))
    assert (
        "facebook" in simulator.counter_platforms() and "graph" not in simulator.counter_platforms()
    )
    with pytest.raises(ValueError, match="unknown platform 'myspace' for a glitch"):
        simulator.glitch("myspace", "tom", "zero")
    with pytest.raises(ValueError, match="unknown glitch kind"):
        simulator.glitch("x", "a", "spike")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="factor must be"):
        simulator.glitch("x", "a", "drop", factor=1.0)
    with pytest.raises(ValueError, match="times must be"):
        simulator.glitch("x", "a", "zero", times=0)


def test_counter_source_keeps_following_and_posts() -> None:
    source = CounterSource()
    source.glitch("bluesky", "@Bob.Example", "zero")
    glitched = source("bluesky", "bob.example", START)
    real = counters_for("bluesky", "bob.example", START)
    assert (glitched.followers, glitched.following, glitched.posts) == (
        0,
        real.following,
        real.posts,
    )
    assert source("bluesky", "bob.example", START) == real


# --- enforced budgets -------------------------------------------------------------------------


def test_budgets_match_the_adapters() -> None:
    simulator = Simulator(ManualClock(START))
    budgets = simulator.budgets()
    owners = {"facebook": "graph", "instagram": "graph"}
    for adapter in REGISTRY.values():
        limit, seconds = budgets[owners.get(adapter.name, adapter.name)]
        # Same rate; Reddit's headers count 1000 per 10 minutes for 100 per minute.
        assert limit / seconds == adapter.rate_budget.requests / adapter.rate_budget.per_seconds
    assert budgets["reddit"] == (1000, 600) and budgets["youtube"] == (10_000, 86_400)
    github = simulator.platform("github")
    assert (github.limit, github.window_seconds) == (60, 3600)
    with pytest.raises(KeyError, match="no simulated platform 'myspace'"):
        simulator.platform("myspace")


@dataclass(frozen=True)
class Budget:
    name: str
    limit: int
    status: int
    advance: timedelta  # moves the clock into the next window


BUDGETS = [
    Budget("github", 60, 403, timedelta(hours=1)),
    Budget("json", 60, 429, timedelta(minutes=1)),
    Budget("telegram", 30, 429, timedelta(seconds=1)),
    Budget("graph", 200, 403, timedelta(hours=1)),
    Budget("mastodon", 300, 429, timedelta(minutes=5)),
    Budget("x", 300, 429, timedelta(minutes=15)),
    Budget("twitch", 80, 429, timedelta(minutes=1)),  # lowered from 800 to keep this quick
]


@pytest.mark.parametrize("budget", BUDGETS, ids=lambda b: b.name)
def test_enforced_budget_then_reset_after_the_window(budget: Budget) -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        sim.platform(
            budget.name
        ).window.limit = budget.limit  # as published, but Twitch's is lowered
        answers = [(await get(client, budget.name)).status_code for _ in range(budget.limit)]
        assert answers == [200] * budget.limit
        refused = await get(client, budget.name)
        assert refused.status_code == budget.status and "Retry-After" not in refused.headers
        assert RESET_SIGNS[budget.name](refused)
        assert sim.rejected == {budget.name: 1}
        stats = (await client.get("/_sim/stats")).json()
        assert stats["rejected"] == {budget.name: 1}
        clock.advance(budget.advance)
        assert (await get(client, budget.name)).status_code == 200
        assert sim.rejected == {budget.name: 1}

    run(scenario, enforce_limits=True)


def test_github_token_requests_have_their_own_budget() -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        for _ in range(60):
            await get(client, "github")
        assert (await get(client, "github")).status_code == 403
        token = {"Authorization": "Bearer sim"}
        authed = await client.get("/users/alice", headers=token)
        assert authed.status_code == 200
        assert (authed.headers["x-ratelimit-limit"], authed.headers["x-ratelimit-remaining"]) == (
            "5000",
            "4999",
        )

    run(scenario, enforce_limits=True)


def test_bluesky_budget_with_a_lowered_limit() -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        sim.platform("bluesky").window.limit = 3  # 3000 per 5 minutes is too many to spend here
        statuses = [(await get(client, "bluesky")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = await get(client, "bluesky")
        assert refused.headers["ratelimit-policy"] == "3;w=300"
        assert RESET_SIGNS["bluesky"](refused) and sim.rejected == {"bluesky": 2}
        clock.advance(timedelta(minutes=5))
        assert (await get(client, "bluesky")).status_code == 200

    run(scenario, enforce_limits=True)


def test_youtube_quota_runs_out_until_midnight_pacific() -> None:
    async def scenario(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        sim.platform("youtube").window.limit = 3  # 10,000 a day is too many to spend here
        statuses = [(await get(client, "youtube")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 403]
        refused = await get(client, "youtube")
        assert RESET_SIGNS["youtube"](refused) and refused.headers.get("Retry-After") is None
        # 2026-04-11 23:12 UTC is 16:12 PDT: the quota comes back at 07:00 UTC, not 00:00 UTC.
        clock.advance(timedelta(minutes=48))
        assert (await get(client, "youtube")).status_code == 403
        clock.advance(timedelta(hours=7))
        assert (await get(client, "youtube")).status_code == 200
        assert sim.rejected == {"youtube": 3}

    run(scenario, enforce_limits=True)


def test_pacific_day_window_follows_daylight_saving() -> None:
    clock = ManualClock(datetime(2026, 3, 8, 7, 30, tzinfo=UTC))  # 23:30 PST on 7 March
    window = PacificDayWindow(clock, 10_000)
    assert window.end(clock()) == datetime(2026, 3, 8, 8, tzinfo=UTC)  # midnight PST
    clock.advance(timedelta(hours=1))
    assert window.end(clock()) == datetime(2026, 3, 9, 7, tzinfo=UTC)  # midnight PDT
    assert window.hit().used == 1 and window.hit().used == 2


def test_limits_are_not_enforced_by_default_and_rejections_come_before_faults() -> None:
    async def lenient(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        answers = [await get(client, "json") for _ in range(61)]
        assert answers[-1].status_code == 200 and answers[-1].headers["RateLimit-Remaining"] == "0"
        assert sim.rejected == {} and "rejected" not in (await client.get("/_sim/stats")).json()

    run(lenient)

    async def strict(sim: Simulator, client: httpx.AsyncClient, clock: ManualClock) -> None:
        for _ in range(60):
            await get(client, "json")
        sim.inject(CALLS["json"].path, "503")
        assert (await get(client, "json")).status_code == 429
        assert sim.faults.pending(CALLS["json"].path) == 1  # still waiting for a served request
        clock.advance(timedelta(minutes=1))
        assert (await get(client, "json")).status_code == 503

    run(strict, enforce_limits=True)


# --- the command line -------------------------------------------------------------------------


@pytest.mark.process
def test_bot_simulate_enforce_limits(tmp_path: Path) -> None:
    with simulate(tmp_path, "--enforce-limits", stop=signal.SIGINT) as line:
        assert "with enforced rate limits" in line
        with httpx.Client(base_url=simulator_url(line), timeout=10) as client:
            # Real clock: count from the last window change in case an hour boundary passes.
            served, reset = 0, None
            for _ in range(130):
                r = client.get("/users/octocat")
                if r.headers["x-ratelimit-reset"] != reset:
                    served, reset = 0, r.headers["x-ratelimit-reset"]
                if r.status_code == 403:
                    break
                served += 1
            assert (r.status_code, served) == (403, 60)
            assert r.json()["message"].startswith("API rate limit exceeded")
            assert client.get("/_sim/stats").json()["rejected"] == {"github": 1}
