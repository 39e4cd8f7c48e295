"""More recovery paths: the terminal dies, the operator skips the wait, a platform
refuses a key and the destination is refreshed, another host's fonts."""

from __future__ import annotations

import signal
import socket
import sys
from pathlib import Path

import pytest

from studio.backoff import Backoff
from studio.broadcast.destinations import Destination, DestinationState
from studio.broadcast.display import VirtualDisplay
from studio.broadcast.pipeline import BroadcastPipeline
from studio.broadcast.terminal import OnAirGrid, Terminal
from studio.events import EventBus
from studio.sandbox.app import Sandbox, SandboxConfig
from studio.sandbox.rtmp_receiver import RtmpReceiver, free_port
from studio.sandbox.server import serve_in_thread
from tests.broadcast.broadcast_helpers import KIOSK, Recorder, need, need_rtmp, wait_until

pytestmark = pytest.mark.processes

FAST = Backoff(first=0.5, factor=1.5, cap=2.0, jitter=0.1, attempts=None)
SLOW = Backoff(first=60.0, factor=1.5, cap=60.0, jitter=0.0, attempts=None)


@pytest.fixture(autouse=True)
def _binaries() -> None:
    need("Xvfb", "xterm", "xwininfo", "ffmpeg")


async def test_a_dead_terminal_is_restarted_and_the_encode_goes_on(
    receiver: RtmpReceiver, bus: EventBus, recorder: Recorder
) -> None:
    destinations = [Destination.from_parts("extra", receiver.url("extra"), "termkey00001")]
    async with BroadcastPipeline(destinations, KIOSK, bus=bus, backoff=FAST) as live:
        assert (
            live.terminal is not None
            and live.terminal.process is not None
            and live.encoder is not None
        )
        encoder_pid = live.encoder.process.pid
        live.terminal.process.signal(signal.SIGKILL)
        await wait_until(lambda: recorder.of("pipeline.recovered"), 15, "recovery")
        assert recorder.of("pipeline.recovered")[0].restarted == ["xterm"]
        assert live.terminal.running and live.terminal.fills_frame
        assert live.encoder.process.pid == encoder_pid and live.encoder.running
    assert [e.process for e in recorder.of("process.exited")] == ["xterm"]
    assert len(receiver.recordings("extra")) == 1


async def test_reconnect_now_skips_the_backoff(
    receiver: RtmpReceiver, bus: EventBus, recorder: Recorder
) -> None:
    destinations = [Destination.from_parts("extra", receiver.url("extra"), "nowkey000001")]
    async with BroadcastPipeline(destinations, KIOSK, bus=bus, backoff=SLOW) as live:
        assert live.encoder is not None
        live.encoder.process.signal(signal.SIGKILL)
        await wait_until(
            lambda: recorder.of("pipeline.recovery_scheduled"), 10, "a scheduled recovery"
        )
        assert recorder.of("pipeline.recovery_scheduled")[0].delay == 60.0
        live.reconnect_now()
        await wait_until(lambda: recorder.of("pipeline.recovered"), 10, "recovery well before 60 s")
        assert live.encoder.running


async def test_a_refused_key_is_refreshed_for_that_destination_only(
    tmp_path: Path, bus: EventBus, recorder: Recorder
) -> None:
    need_rtmp()
    port = free_port()
    sandbox = Sandbox(SandboxConfig(rtmp_base=f"rtmp://127.0.0.1:{port}"))
    refreshed: list[str] = []

    async def refresh(old: Destination) -> Destination:
        refreshed.append(old.name)
        # a fresh key each time (the extra application accepts any key)
        return Destination.from_parts(
            old.name, f"rtmp://127.0.0.1:{port}/extra", f"newkey{len(refreshed):05d}"
        )

    with (
        serve_in_thread(sandbox) as origin,
        RtmpReceiver(port, tmp_path / "rec", origin) as receiver,
    ):
        destinations = [
            Destination.from_parts("basefm", receiver.url("extra"), "steadykey0001"),
            Destination.from_parts("retake", receiver.url("retake"), "sk_stalekey00001"),
        ]
        pipeline = BroadcastPipeline(
            destinations,
            KIOSK,
            bus=bus,
            backoff=FAST,
            relay_backoff=FAST,
            refresh_destination=refresh,
        )
        async with pipeline as live:
            await wait_until(
                lambda: live.destination_states.get("retake") == DestinationState.LIVE,
                20,
                "retake live",
            )
            assert await live.wait_live(["basefm"], limit=10)
            names = sorted(p.name.split("-")[0] for p in receiver.recordings("extra"))
        assert names == ["newkey00001", "steadykey0001"]
        assert receiver.recordings("retake") == []
    assert refreshed == ["retake"]
    retake_states = [e.state for e in recorder.of("destination.state") if e.destination == "retake"]
    assert retake_states[:2] == ["connecting", "failed"] and "retrying" in retake_states
    assert "sk_stalekey00001" not in "\n".join(recorder.lines)


async def test_other_fonts_give_a_computed_grid_that_fits_the_frame() -> None:
    async with VirtualDisplay() as display:
        assert display.name
        # 13 px DejaVu Sans Mono has 8x17 cells: 160x42 fit, centred vertically
        terminal = Terminal(
            display.name,
            [sys.executable, "-c", "import time; time.sleep(60)"],
            on_air=OnAirGrid(160, 45, (8, 16), 13),
        )
        try:
            geometry = await terminal.start()
        finally:
            await terminal.stop()
    assert terminal.grid == (160, 42) and not terminal.fills_frame
    assert (geometry.width, geometry.height, geometry.x, geometry.y) == (1280, 714, 0, 3)


async def test_a_stalled_destination_never_holds_up_the_encode(
    receiver: RtmpReceiver, bus: EventBus, recorder: Recorder
) -> None:
    # accepts the TCP connection and then never answers the RTMP handshake
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        destinations = [
            Destination.from_parts("good", receiver.url("extra"), "flowingkey001"),
            Destination.from_parts("stalled", f"rtmp://127.0.0.1:{port}/app", "silentkey0001"),
        ]
        async with BroadcastPipeline(destinations, KIOSK, bus=bus, relay_backoff=FAST) as live:
            # the handshake to the stalled destination times out only after 5 s; a tee
            # that waited for it would still be at frame 1 then
            await wait_until(
                lambda: live.stats and live.stats.frame >= 60, 4.5, "2 s encoded while stalled"
            )
            assert live.destination_states["stalled"] == DestinationState.CONNECTING
            await wait_until(
                lambda: (
                    live.destination_states.get("stalled")
                    in (DestinationState.RETRYING, DestinationState.CONNECTING)
                    and any(
                        e.destination == "stalled" and e.state == "failed"
                        for e in recorder.of("destination.state")
                    )
                ),
                10,
                "the stalled destination fails and is retried on its own",
            )
            assert await live.wait_live(["good"], limit=5)
            assert live.recoveries == 0


async def test_a_destination_that_drops_mid_stream_is_relayed_back(
    receiver: RtmpReceiver, bus: EventBus, recorder: Recorder, tmp_path: Path
) -> None:
    port = free_port()
    flaky = RtmpReceiver(port, tmp_path / "flaky").start()
    destinations = [
        Destination.from_parts("steady", receiver.url("extra"), "steadykey0002"),
        Destination.from_parts("flaky", f"rtmp://127.0.0.1:{port}/extra", "flakykey00001"),
    ]
    try:
        async with BroadcastPipeline(
            destinations, KIOSK, bus=bus, backoff=FAST, relay_backoff=FAST
        ) as live:
            assert await live.wait_live(limit=10)
            flaky.stop()  # the platform's ingest goes away mid-stream
            await wait_until(
                lambda: (
                    live.destination_states["flaky"]
                    in (DestinationState.RETRYING, DestinationState.CONNECTING)
                ),
                10,
                "the dropped destination is retried",
            )
            flaky.start()
            await wait_until(
                lambda: live.destination_states["flaky"] == DestinationState.LIVE, 20, "back live"
            )
            await wait_until(
                lambda: len(flaky.recordings("extra")) == 2, 5, "a recording after the drop"
            )
            assert live.destination_states["steady"] == DestinationState.LIVE
            assert len(receiver.recordings("extra")) == 1 and live.recoveries == 0
    finally:
        flaky.stop()
