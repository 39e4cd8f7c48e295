"""Helpers for go-live tests that run on the in-process sandbox and its FakeClock."""

from __future__ import annotations

from studio.events import EventBus
from studio.golive.leg import LegContext, Timing
from studio.golive.operator import GivenAnswers
from studio.sandbox.clock import FakeClock
from tests.broadcast.broadcast_helpers import Recorder


def fake_context(
    clock: FakeClock, answers: dict[str, str] | None = None
) -> tuple[LegContext, Recorder]:
    """A leg context whose sleeps move the sandbox's clock instead of waiting."""
    bus = EventBus()
    recorder = Recorder(bus)

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    ctx = LegContext(
        bus=bus,
        operator=GivenAnswers(answers or {}),
        timing=Timing(),
        sleep=sleep,
        clock=clock.now,
    )
    return ctx, recorder
