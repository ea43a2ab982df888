"""Only a process that is one command freezes its heap (in a fresh interpreter each time)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.collector import YOUNG_THRESHOLD

pytestmark = pytest.mark.process

PROBE = """
import gc, json, sys
from bot.collector import own_process, settle
if sys.argv[1] == "owned":
    own_process()
before = gc.get_threshold()
settle()
print(json.dumps({"frozen": gc.get_freeze_count(), "before": before, "after": gc.get_threshold()}))
"""


def _probe(mode: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60, check=True
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_a_command_process_freezes_what_start_up_built() -> None:
    seen = _probe("owned")
    assert isinstance(seen["frozen"], int) and seen["frozen"] > 1000
    assert seen["after"] == [YOUNG_THRESHOLD, *seen["before"][1:]]  # type: ignore[index]


def test_a_shared_process_is_left_as_it_is() -> None:
    # Tests run many commands in one process: freezing would keep every command's engine.
    seen = _probe("shared")
    assert seen["frozen"] == 0
    assert seen["after"] == seen["before"]
