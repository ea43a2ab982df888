"""Local platform API simulator for tests, benchmarks and the offline demo."""

from bot.simulator.app import Simulator, serve_forever
from bot.simulator.counters import Counters, counters_for

__all__ = ["Counters", "Simulator", "counters_for", "serve_forever"]
