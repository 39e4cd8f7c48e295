"""Capped exponential backoff with jitter, shared by HTTP retries and the watchdog."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Delays ``first, first*factor, …`` capped at ``cap``, each jittered by ±``jitter``.

    ``attempts`` bounds how many delays are produced (``None``: unbounded).
    """

    first: float = 0.5
    factor: float = 2.0
    cap: float = 8.0
    jitter: float = 0.2
    attempts: int | None = 4

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """The delay before retry number ``attempt`` (0-based)."""
        base = min(self.cap, self.first * self.factor**attempt)
        spread = base * self.jitter
        return max(0.0, base + (rng or random).uniform(-spread, spread))

    def delays(self, rng: random.Random | None = None) -> Iterator[float]:
        attempt = 0
        while self.attempts is None or attempt < self.attempts:
            yield self.delay(attempt, rng)
            attempt += 1


HTTP_RETRY = Backoff(first=0.5, factor=2.0, cap=8.0, jitter=0.25, attempts=3)
"""Retries for safe HTTP calls: 0.5 s, 1 s, 2 s (±25 %)."""

OBS_RECONNECT = Backoff(first=2.0, factor=1.5, cap=60.0, jitter=0.2, attempts=None)
"""Reconnects like OBS: first after 2 s, then ×1.5 each time, capped at a minute."""
