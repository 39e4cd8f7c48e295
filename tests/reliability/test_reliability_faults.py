"""Faults of the broadcast, each survived, with the time to recover: FFmpeg killed
(2 times in CI, 5 in the long run), Xvfb killed, an RTMP receiver down (5 s in CI,
20 s in the long run) while the other destination stays on air."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

from studio.backoff import Backoff
from studio.broadcast.destinations import Destination, DestinationState
from studio.broadcast.pipeline import BroadcastPipeline
from studio.events import EventBus
from studio.sandbox.rtmp_receiver import RtmpReceiver, free_port
from tests.broadcast.broadcast_helpers import KIOSK, Recorder, need, wait_until
from tests.reliability.conftest import LONG

pytestmark = pytest.mark.processes

FAST = Backoff(first=0.5, factor=1.5, cap=2.0, jitter=0.1, attempts=None)
FFMPEG_KILLS = 5 if LONG else 2
RECEIVER_DOWN = 20.0 if LONG else 5.0


@pytest.fixture
def receiver(receiver: RtmpReceiver) -> RtmpReceiver:
    """The shared receiver (tests/conftest.py), for a broadcast on a real display."""
    need("Xvfb", "xterm", "xwininfo", "ffmpeg")
    return receiver


def two_destinations(receiver: RtmpReceiver, n: int = 0) -> list[Destination]:
    return [
        Destination.from_parts("retake", receiver.url("extra"), f"retakekey{n:04d}"),
        Destination.from_parts("basefm", receiver.url("extra"), f"basefmkey{n:04d}"),
    ]


async def recovered_after(
    live: BroadcastPipeline,
    recorder: Recorder,
    kill,  # noqa: ANN001
) -> tuple[float, float]:
    """Seconds from ``kill()`` until the pipeline restarted what died, and until every
    destination is reported live again (the encoder confirms that after 6 s of data)."""
    before = len(recorder.of("pipeline.recovered"))
    started = time.monotonic()
    kill()
    await wait_until(lambda: len(recorder.of("pipeline.recovered")) > before, 30, "recovered")
    restarted = time.monotonic() - started
    assert await live.wait_live(limit=30)
    return round(restarted, 2), round(time.monotonic() - started, 2)


async def test_ffmpeg_killed_again_and_again(receiver: RtmpReceiver, figures) -> None:
    bus = EventBus()
    recorder = Recorder(bus)
    refreshed = 0

    async def refresh() -> list[Destination]:
        nonlocal refreshed
        refreshed += 1
        return two_destinations(receiver, refreshed)  # fresh keys, as retake.tv asks

    pipeline = BroadcastPipeline(
        two_destinations(receiver),
        KIOSK,
        bus=bus,
        backoff=FAST,
        relay_backoff=FAST,
        refresh_destinations=refresh,
    )
    times = []
    async with pipeline as live:
        assert await live.wait_live(limit=15)
        for _ in range(FFMPEG_KILLS):
            assert live.encoder is not None
            times.append(
                await recovered_after(
                    live, recorder, lambda: live.encoder.process.signal(signal.SIGKILL)
                )
            )
    figures.record(
        kills=FFMPEG_KILLS,
        restarted_s=[t[0] for t in times],
        live_again_s=[t[1] for t in times],
        worst_live_again_s=max(t[1] for t in times),
    )
    assert live.recoveries == FFMPEG_KILLS and refreshed == FFMPEG_KILLS


async def test_xvfb_killed(receiver: RtmpReceiver, figures) -> None:
    bus = EventBus()
    recorder = Recorder(bus)
    pipeline = BroadcastPipeline(
        two_destinations(receiver), KIOSK, bus=bus, backoff=FAST, relay_backoff=FAST
    )
    async with pipeline as live:
        assert await live.wait_live(limit=15)
        assert live.display.process is not None
        old = live.display.name
        took = await recovered_after(
            live, recorder, lambda: live.display.process.signal(signal.SIGKILL)
        )
        restarted = recorder.of("pipeline.recovered")[-1].restarted
    figures.record(
        restarted_s=took[0], live_again_s=took[1], restarted=restarted, display_before=old
    )
    assert restarted == ["Xvfb", "xterm", "ffmpeg"]


async def test_a_receiver_down_for_a_while_comes_back_alone(
    receiver: RtmpReceiver, tmp_path: Path, figures
) -> None:
    bus = EventBus()
    port = free_port()
    flaky = RtmpReceiver(port, tmp_path / "flaky").start()
    destinations = [
        Destination.from_parts("steady", receiver.url("extra"), "steadykey0003"),
        Destination.from_parts("flaky", f"rtmp://127.0.0.1:{port}/extra", "flakykey00003"),
    ]
    try:
        async with BroadcastPipeline(
            destinations, KIOSK, bus=bus, backoff=FAST, relay_backoff=FAST
        ) as live:
            assert await live.wait_live(limit=15)
            flaky.stop()
            await asyncio.sleep(RECEIVER_DOWN)  # the outage itself: a fixed length by design
            assert live.destination_states["steady"] == DestinationState.LIVE
            back = time.monotonic()
            flaky.start()
            await wait_until(
                lambda: live.destination_states["flaky"] == DestinationState.LIVE, 30, "back live"
            )
            took = round(time.monotonic() - back, 2)
            assert live.destination_states["steady"] == DestinationState.LIVE
            assert len(receiver.recordings("extra")) == 1, "the steady destination never stopped"
            assert live.recoveries == 0
    finally:
        flaky.stop()
    figures.record(down_s=RECEIVER_DOWN, back_live_after_s=took, encoder_restarts=0)
