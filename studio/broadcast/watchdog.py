"""Waiting between recovery attempts, the way OBS does: 2 s, then ×1.5 each time
with jitter, capped; ``reconnect_now`` cuts the current wait short."""

from __future__ import annotations

import asyncio
import contextlib
import random

from studio.backoff import OBS_RECONNECT, Backoff


class RetryTimer:
    def __init__(self, backoff: Backoff = OBS_RECONNECT, rng: random.Random | None = None) -> None:
        self.backoff = backoff
        self.attempt = 0
        self._rng = rng
        self._wake = asyncio.Event()

    def next_delay(self) -> float:
        """The wait before the next attempt; each call counts one attempt."""
        delay = self.backoff.delay(self.attempt, self._rng)
        self.attempt += 1
        return delay

    def reset(self) -> None:
        self.attempt = 0

    def reconnect_now(self) -> None:
        """End the current (or the next) wait at once."""
        self._wake.set()

    async def wait(self, delay: float) -> bool:
        """Sleep ``delay`` seconds unless ``reconnect_now`` is called; True if woken early."""
        woken = False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), delay)
            woken = True
        self._wake.clear()
        return woken
