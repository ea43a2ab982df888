"""How a request is retried: capped exponential backoff with full jitter, within a budget."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts per request, backoff bounds, and the deadline of each attempt (seconds)."""

    attempts: int = 3
    base: float = 0.5
    cap: float = 8.0
    # Total backoff one request may spend waiting between its attempts.
    budget: float = 20.0
    # A whole attempt (connect, headers, body) must end within this: stops slow-drip answers
    # whose every read is quick enough for the read timeout.
    deadline: float = 30.0
    # A spent request budget is waited out only when the wait is this short; else deferred.
    max_wait: float = 5.0
    # A whole batch (every request, retry and wait) must end within this, plus ``per_request``
    # for each request past the first: one slow account never holds a poll cycle longer.
    batch_deadline: float = 60.0
    per_request: float = 10.0
    sleep: Sleep = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def batch_seconds(self, requests: int) -> float:
        """How long a batch of ``requests`` requests may take, all included."""
        return self.batch_deadline + self.per_request * max(0, requests - 1)

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform between 0 and min(cap, base * 2**attempt)."""
        return self.rng.uniform(0.0, min(self.cap, self.base * 2**attempt))


# Adapters used on their own (tests, one-off calls) try once; the daemon and `bot poll` retry.
SINGLE_ATTEMPT = RetryPolicy(attempts=1)
