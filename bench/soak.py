"""The soak over a simulated day: 4 workers on PostgreSQL, faults on, one killed and restarted.

A day's worth of poll cycles, compressed: each account is polled about as often as a 15-minute
interval polls it in a day (96 times), at an interval of seconds on the real clock (workers are
real `bot run` processes). The simulator, in this process, enforces a Bluesky budget a third
below the demand and serves a fault (503, truncated, malformed, slow, redirect) every second;
a third into the run the worker seen mid-cycle is killed with SIGKILL and restarted. It prints
the checks' figures: 429s, polls closer than an interval, the wait of the killed worker's
accounts, the longest wait of any account, digests delivered. The run itself is
tests/helpers/soak.py; its shortened form is tests/daemon/test_soak.py.

    .venv/bin/python bench/soak.py                 # 96 cycles of 5 s: about 8 minutes
    .venv/bin/python bench/soak.py 24              # a quarter of the day
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _processes import postgres_url

from bot.store.db import make_engine, migrate
from tests.helpers.soak import SoakPlan, figures, run_soak

INTERVAL = 5
CYCLES = 96  # a day at a 15-minute interval


def main() -> None:
    """Run the plan and print one line per figure."""
    cycles = int(sys.argv[1]) if len(sys.argv) > 1 else CYCLES
    seconds = cycles * INTERVAL
    # 400 accounts every 5 s, 25 a request: 32 requests per 10 s asked of a budget of 24.
    plan = SoakPlan(
        workers=4,
        accounts=400,
        interval=INTERVAL,
        seconds=seconds,
        kill_at=seconds / 3,
        budget=(24, 10),
        fault_every=1.0,
    )
    with postgres_url() as url, tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(url)
        migrate(engine)
        try:
            result = run_soak(Path(tmp), engine, plan)
        finally:
            engine.dispose()
    print(
        f"soak: {plan.workers} workers, {plan.accounts} accounts every {plan.interval}s for "
        f"{seconds}s ({cycles} cycles), budget {plan.budget[0]}/{plan.budget[1]}s, a fault "
        f"every {plan.fault_every:g}s, exits {result.exits}"
    )
    for name, value in figures(result).items():
        shown = f"{value:.1f}" if isinstance(value, float) else str(value)
        print(f"  {name}: {shown}")


if __name__ == "__main__":
    main()
