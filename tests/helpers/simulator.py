"""One way to run the simulator in a test: started on a free loopback port, always stopped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.clock import Clock
from bot.simulator import Simulator


@asynccontextmanager
async def running_simulator(clock: Clock, **options: Any) -> AsyncIterator[tuple[Simulator, str]]:
    """The simulator (``options`` as ``Simulator`` takes them) and its base URL, while it serves."""
    simulator = Simulator(clock, **options)
    url = await simulator.start("127.0.0.1", 0)
    try:
        yield simulator, url
    finally:
        await simulator.stop()
