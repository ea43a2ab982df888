"""Registry-wide properties: every adapter declares what the base needs and has its rooms."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest

from bot.platforms import ADAPTERS, REGISTRY
from bot.platforms.base import Adapter, FetchResult, Target
from bot.simulator.app import SIMULATED
from bot.simulator.limits import PlatformSim
from tests.helpers.adapters import FIXTURES, response_for

TESTS = Path(__file__).parent
ROOT = Path(__file__).parents[2]


# Registry-wide properties ---------------------------------------------------------------


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
def test_every_adapter_declares_what_the_base_needs(adapter: type) -> None:
    assert adapter.__doc__ and adapter.__doc__.strip()
    assert adapter.batch_size >= 1
    assert adapter.rate_budget.requests > 0 and adapter.rate_budget.per_seconds > 0
    assert adapter.normalize_handle(adapter.example_handle)
    assert list((FIXTURES / adapter.name).glob("*.json")), "each adapter has recorded fixtures"


def test_registry_names_are_unique() -> None:
    assert len(REGISTRY) == len(ADAPTERS)


def test_fixture_bodies_are_json() -> None:
    for path in FIXTURES.glob("*/*.json"):
        data = json.loads(path.read_text())
        assert {"source", "status", "body"} <= set(data), path
        assert (
            response_for(
                str(path.relative_to(FIXTURES)), httpx.Request("GET", "http://x")
            ).status_code
            == data["status"]
        )


# Every module outside the platform and simulator rooms (the demo tours the simulator) is core:
# none may name a platform. "json" is also an output format, so the JSON source is not scanned.
ADAPTER_ROOMS = ("platforms", "simulator", "demo.py")
FORMAT_WORDS = ("json",)


def source(obj: type) -> Path:
    """The file a class is defined in."""
    return Path(__import__(obj.__module__, fromlist=["_"]).__file__ or "")


def rooms(adapter: type[Adapter]) -> dict[str, bool]:
    """Each piece a platform is made of, and whether it is there."""
    name, secret = adapter.name, adapter.token_env
    sims = [sim for sim in SIMULATED if isinstance(sim, type) and issubclass(sim, PlatformSim)]
    simulated = {n: sim for sim in sims for n in sim.counter_platforms}.get(name)
    table = (ROOT / "docs" / "platforms.md").read_text(encoding="utf-8")
    readme = table + (ROOT / "README.md").read_text(encoding="utf-8")
    env = (ROOT / "config" / ".env.example").read_text(encoding="utf-8")
    return {
        "its adapter module in bot/platforms/": source(adapter).parent
        == ROOT / "bot" / "platforms",
        "its line in the registry (bot/platforms/__init__.py)": REGISTRY.get(name) is adapter,
        "its simulator module in bot/simulator/, listed in SIMULATED (bot/simulator/app.py)": (
            simulated is not None and source(simulated).parent == ROOT / "bot" / "simulator"
        ),
        f"its tests (tests/platforms/test_{name}.py)": (TESTS / f"test_{name}.py").is_file(),
        f"its fixtures (tests/fixtures/{name}/*.json)": any((FIXTURES / name).glob("*.json")),
        f"its row in the platforms table of docs/platforms.md ((`{name}`))": f"(`{name}`)"
        in table,
        f"its secret {secret} in docs/platforms.md or the README": secret is None
        or secret in readme,
        f"its secret {secret} in config/.env.example": secret is None or secret in env,
    }


def missing_rooms(adapter: type[Adapter]) -> str:
    """What a platform lacks, as the failure message says it ("" when nothing)."""
    missing = [room for room, present in rooms(adapter).items() if not present]
    return f"platform {adapter.name!r} lacks: " + "; ".join(missing) if missing else ""


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
def test_a_platform_lives_in_its_own_rooms(adapter: type[Adapter]) -> None:
    """Module, registry line, simulator, tests, fixtures, docs and .env rows; nothing else.

    No core module names the platform: adding one touches only the rooms listed here.
    """
    assert not missing_rooms(adapter)
    bot_dir = ROOT / "bot"
    core = [
        p for p in bot_dir.rglob("*.py") if p.relative_to(bot_dir).parts[0] not in ADAPTER_ROOMS
    ]
    assert len(core) > 40
    for path in core if adapter.name not in FORMAT_WORDS else []:
        text = path.read_text(encoding="utf-8")
        assert f'"{adapter.name}"' not in text, f"{path} special-cases {adapter.name}"


class Stray(Adapter):
    """A platform someone started and left: a class only, in a test module."""

    name = "stray"
    token_env = "STRAY_TOKEN"

    async def fetch(
        self, client: httpx.AsyncClient, targets: Sequence[Target]
    ) -> list[FetchResult]:
        """Never called."""
        return []


def test_the_rooms_test_says_which_pieces_are_missing() -> None:
    message = missing_rooms(Stray)
    for room in (
        "its adapter module in bot/platforms/",
        "its line in the registry",
        "its simulator module in bot/simulator/",
        "its tests (tests/platforms/test_stray.py)",
        "its fixtures (tests/fixtures/stray/*.json)",
        "its row in the platforms table of docs/platforms.md ((`stray`))",
        "its secret STRAY_TOKEN in docs/platforms.md or the README",
        "its secret STRAY_TOKEN in config/.env.example",
    ):
        assert room in message
    assert message.startswith("platform 'stray' lacks: ")
