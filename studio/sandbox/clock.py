"""Time for the sandbox: real by default, steppable in tests.

Sandbox state that depends on time (slot timing, idle timeouts, JWT expiry, the
2-hour limit, cooldowns) is derived from ``clock.now()`` when a request arrives, so
a test can jump ahead with ``FakeClock.advance`` instead of waiting.
"""

from __future__ import annotations

import time


class Clock:
    def now(self) -> float:
        return time.time()


class FakeClock(Clock):
    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds
