"""The simulator's latency and raised (or lowered) budgets: in-process and as `bot simulate`."""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.clock import ManualClock
from bot.simulator import Simulator
from tests.helpers.cli import run_cli
from tests.helpers.processes import simulate, simulator_url
from tests.helpers.simulator import running_simulator

START = datetime(2026, 4, 11, 23, 12, 34, tzinfo=UTC)
PROFILES = "/xrpc/app.bsky.actor.getProfiles"
LATENCY = 0.2  # real seconds: only ever a lower bound on what a request takes


def test_latency_holds_every_platform_answer_back() -> None:
    async def main() -> list[tuple[float, int]]:
        timed = []
        async with (
            running_simulator(ManualClock(START), latency=LATENCY) as (sim, url),
            httpx.AsyncClient(base_url=url, timeout=10) as client,
        ):
            sim.inject(PROFILES, "503")
            for _ in range(2):  # a fault, then a normal answer: both held back
                start = time.perf_counter()
                response = await client.get(PROFILES, params={"actors": "alice.bsky.social"})
                timed.append((time.perf_counter() - start, response.status_code))
        return timed

    timed = asyncio.run(main())
    assert [status for _, status in timed] == [503, 200]
    assert all(seconds >= LATENCY for seconds, _ in timed)


def test_latency_applies_to_rejections_and_concurrent_requests_wait_together() -> None:
    async def main() -> tuple[float, list[int]]:
        async with (
            running_simulator(ManualClock(START), latency=LATENCY, enforce_limits=True) as (
                sim,
                url,
            ),
            httpx.AsyncClient(base_url=url, timeout=10) as client,
        ):
            sim.set_budget("bluesky", 2)
            start = time.perf_counter()
            answers = await asyncio.gather(
                *(client.get(PROFILES, params={"actors": f"u{i}.bsky.social"}) for i in range(3))
            )
            return time.perf_counter() - start, sorted(a.status_code for a in answers)

    seconds, statuses = asyncio.run(main())
    assert statuses == [200, 200, 429]  # the third is past the lowered budget, late as well
    assert seconds >= LATENCY


def test_default_latency_is_none_and_bad_latency_is_refused() -> None:
    assert Simulator().latency == 0
    for bad in (-0.1, 61.0):
        with pytest.raises(ValueError, match="expected a latency from 0 to 60 s"):
            Simulator(latency=bad)


def test_set_budget_replaces_the_published_budget() -> None:
    sim = Simulator()
    published = sim.budgets()
    sim.set_budget("bluesky", 10**9)
    assert sim.budgets()["bluesky"] == (10**9, published["bluesky"][1])
    assert {k: v for k, v in sim.budgets().items() if k != "bluesky"} == {
        k: v for k, v in published.items() if k != "bluesky"
    }
    with pytest.raises(KeyError, match="no simulated platform 'myspace'"):
        sim.set_budget("myspace", 5)
    with pytest.raises(ValueError, match="at least 1 request"):
        sim.set_budget("github", 0)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--latency", "5x"), ("--latency", "50ms", "'5x'")),
        (("--latency", "61s"), ("--latency", "at most 60s")),
        (("--latency", "-1ms"), ("--latency",)),
        (("--budget", "myspace=3"), ("--budget", "bluesky, github", "'myspace=3'")),
        (("--budget", "github"), ("--budget", "NAME=N")),
        (("--budget", "github=0"), ("--budget", "from 1 to")),
        (("--budget", "github=٣"), ("--budget", "NAME=N")),
    ],
)
def test_bot_simulate_refuses_bad_latency_and_budgets(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], words: tuple[str, ...]
) -> None:
    result = run_cli(capsys, "simulate", "--port", "0", *args)
    assert result.code == 2
    assert result.out == ""
    assert result.err.strip().count("\n") == 0
    assert all(word in result.err for word in words), result.err


@pytest.mark.process
def test_bot_simulate_latency_and_budget(tmp_path: Path) -> None:
    with simulate(
        tmp_path, "--latency", "200ms", "--budget", "Bluesky=7", stop=signal.SIGINT
    ) as line:
        assert "200ms latency" in line
        with httpx.Client(base_url=simulator_url(line), timeout=10) as client:
            start = time.perf_counter()
            response = client.get(PROFILES, params={"actors": "alice.bsky.social"})
            assert time.perf_counter() - start >= LATENCY
            assert response.status_code == 200
            assert response.headers["ratelimit-limit"] == "7"
            assert response.headers["ratelimit-policy"] == "7;w=300"
            # Other platforms keep their published budget.
            assert client.get("/users/alice").headers["x-ratelimit-limit"] == "60"
