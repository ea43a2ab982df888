"""Long fuzz of every adapter's parser inside a real poll cycle (issue 10); prints its figures.

The same cases as tests/platforms/test_fuzz.py (tests/helpers/fuzz.py), many more of them:
each replays the simulator's recorded answers with one account's count, or its whole answers,
replaced by generated hostile bytes, polls and stores into SQLite, and checks the property
(no exception leaves the cycle, every account has its line and stored attempt, the untouched
account is stored, a value is accepted only when it is a real count). Failures are counted,
not raised, so the run goes on; the first few are printed.

    .venv/bin/python bench/fuzz_adapters.py            # 20,000 examples
    .venv/bin/python bench/fuzz_adapters.py 50000      # or as many as you like
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, given, settings

from bot.store.db import make_engine, migrate
from tests.helpers.fuzz import Case, Fuzzer, cases, check, example_handles, record

DEFAULT_EXAMPLES = 20_000


def main(examples: int) -> int:
    """Run ``examples`` cases; print tried, failures and a breakdown; exit 1 on any failure."""
    # Each refused answer logs a warning by design; thousands of them say nothing here.
    logging.getLogger("bot").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        recording, config = asyncio.run(record(Path(tmp)))
        engine = make_engine(f"sqlite:///{Path(tmp) / 'fuzz.db'}")
        migrate(engine)
        fuzzer = Fuzzer(engine, recording, config)
        handles = example_handles()
        tried: Counter[str] = Counter()
        failures: list[tuple[Case, str]] = []

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(cases())
        def one(case: Case) -> None:
            tried[f"{case.platform}/{case.mode}"] += 1
            try:
                check(fuzzer.run(case), case, handles[case.platform])
            except Exception as exc:  # counted, not raised: the run goes on
                failures.append((case, f"{type(exc).__name__}: {str(exc)[:200]}"))

        began = time.perf_counter()
        one()
        elapsed = time.perf_counter() - began
        engine.dispose()
    total = sum(tried.values())
    print(f"examples tried: {total:,} in {elapsed:.0f}s ({total / elapsed:.0f}/s)")
    print(f"failures: {len(failures)}")
    for name in sorted({key.split("/")[0] for key in tried}):
        print(f"  {name:10} value {tried[name + '/value']:6,}  body {tried[name + '/body']:6,}")
    for case, why in failures[:5]:
        print(f"  FAILED {case.platform}/{case.mode} {case.payload[:60]!r}: {why}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_EXAMPLES))
