"""A long Hypothesis run over the input edges: query words, API query parameters, the importer.

Not a test: it prints, per target, the examples tried and the failures found (each failure's
first lines too), and exits 1 if any. The bounded version runs in CI: tests/test_fuzz_inputs.py.

    .venv/bin/python bench/fuzz_inputs.py            # 2,000 examples per target
    .venv/bin/python bench/fuzz_inputs.py 10000      # more
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers import fuzz_inputs as fuzz


def run(name: str, examples: int, body: Callable[..., str | None], **strategies: Any) -> int:
    """Try ``body`` on ``examples`` generated inputs; print the counts; return the failures."""
    tried = 0
    failures: list[str] = []

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(**strategies)
    def probe(**drawn: Any) -> None:
        nonlocal tried
        tried += 1
        problem = body(**drawn)
        if problem is not None:
            failures.append(problem)

    start = time.perf_counter()
    probe()
    seconds = time.perf_counter() - start
    print(f"{name:<8} {tried:>7} examples tried  {len(failures):>4} failures  {seconds:7.1f} s")
    for problem in sorted(set(failures))[:5]:
        print(f"    {problem[:300]}")
    return len(failures)


def main() -> int:
    examples = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        with fuzz.fuzz_target(directory) as (engine, config, client):
            files = directory / "files"
            files.mkdir()
            failed = run(
                "words",
                examples,
                fuzz.check_words,
                text=fuzz.date_words(),
                tz=st.sampled_from(fuzz.ZONES),
            )
            failed += run("year", examples, fuzz.check_year, year=st.integers(-(2**70), 2**70))
            failed += run(
                "api", examples, lambda path: fuzz.check_api(client, path), path=fuzz.api_requests()
            )
            failed += run(
                "import",
                examples,
                lambda rows, kind: fuzz.check_import(
                    engine, config, fuzz.write_import_file(files, rows, kind)
                ),
                rows=fuzz.import_rows(),
                kind=st.sampled_from(["csv", "jsonl"]),
            )
    print(f"total failures: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
