"""A simulated clock for the studio's timers: ``sleep`` waits until ``advance`` moves the
clock past its wake time, so hours pass in milliseconds and in a known order."""

from __future__ import annotations

import asyncio

from studio.events import EventBus
from studio.golive.leg import LegContext, Timing
from studio.golive.operator import GivenAnswers
from studio.sandbox.clock import FakeClock
from tests.broadcast.broadcast_helpers import Recorder


class SimTime:
    def __init__(self, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def now(self) -> float:
        return self.clock.now()

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.clock.now() + max(0.0, seconds), future))
        try:
            await future
        finally:
            self._sleepers = [s for s in self._sleepers if s[1] is not future]

    async def advance(self, seconds: float) -> None:
        """Move the clock ``seconds`` ahead, waking each sleeper at its own time and
        letting it run until it sleeps again (or finishes)."""
        end = self.clock.now() + seconds
        await self._settle()  # tasks started just now take their first sleep first
        while True:
            pending = [t for t, f in self._sleepers if not f.done()]
            due = min([t for t in pending if t <= end], default=None)
            if due is None:
                break
            self.clock.advance(max(0.0, due - self.clock.now()))
            woken = [f for t, f in self._sleepers if t <= due and not f.done()]
            for future in woken:
                future.set_result(None)
            await self._settle()
        self.clock.advance(max(0.0, end - self.clock.now()))
        await self._settle()

    async def _settle(self) -> None:
        # woken loops run until they sleep again; real I/O (the in-process sandbox,
        # a notify command) may need more turns of the loop
        for _ in range(50):
            await asyncio.sleep(0)


def sim_context(time: SimTime) -> tuple[LegContext, Recorder]:
    bus = EventBus()
    recorder = Recorder(bus)
    ctx = LegContext(
        bus=bus, operator=GivenAnswers({}), timing=Timing(), sleep=time.sleep, clock=time.now
    )
    return ctx, recorder
