"""Registry-wide properties: every adapter declares what the base needs and has its rooms."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from bot.platforms import ADAPTERS, REGISTRY
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


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
def test_a_platform_lives_in_its_own_rooms(adapter: type) -> None:
    """Module, fixtures folder, test table, registry line: no core module names the platform."""
    module = Path(__import__(adapter.__module__, fromlist=["_"]).__file__ or "")
    assert module.parent.name == "platforms"
    assert (TESTS / f"test_{adapter.name}.py").is_file()
    assert any((FIXTURES / adapter.name).glob("*.json"))
    bot_dir = module.parent.parent
    core = [
        p for p in bot_dir.rglob("*.py") if p.relative_to(bot_dir).parts[0] not in ADAPTER_ROOMS
    ]
    assert len(core) > 40
    for path in core if adapter.name not in FORMAT_WORDS else []:
        text = path.read_text(encoding="utf-8")
        assert f'"{adapter.name}"' not in text, f"{path} special-cases {adapter.name}"


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
def test_every_platform_is_documented(adapter: type) -> None:
    root = ROOT
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert f"(`{adapter.name}`)" in readme, "a row in the README's platforms table"
    if adapter.token_env:
        assert adapter.token_env in readme
        assert adapter.token_env in (root / "config" / ".env.example").read_text(encoding="utf-8")
