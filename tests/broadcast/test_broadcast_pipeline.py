"""The whole pipeline against a real nginx-rtmp receiver: one encode to several
destinations, isolation of a failed destination, and recovery without the operator."""

from __future__ import annotations

import io
import logging
import os
import signal
from pathlib import Path

import pytest
from PIL import Image

from studio.backoff import Backoff
from studio.broadcast.destinations import Destination, DestinationState
from studio.broadcast.pipeline import BroadcastPipeline
from studio.broadcast.thumbnails import is_blank
from studio.events import EventBus
from studio.sandbox.rtmp_receiver import RtmpReceiver, free_port
from tests.broadcast.broadcast_helpers import (
    KIOSK,
    Recorder,
    ffprobe,
    need,
    udp_sockets,
    wait_until,
)

pytestmark = pytest.mark.processes

FAST = Backoff(first=0.5, factor=1.5, cap=2.0, jitter=0.1, attempts=None)


@pytest.fixture(autouse=True)
def _binaries() -> None:
    need("Xvfb", "xterm", "xwininfo", "ffmpeg", "ffprobe")


def size_of(files: list[Path]) -> int:
    return sum(f.stat().st_size for f in files if f.exists())


def pipeline(destinations: list[Destination], bus: EventBus, **kwargs) -> BroadcastPipeline:  # noqa: ANN003
    return BroadcastPipeline(
        destinations, KIOSK, bus=bus, backoff=FAST, relay_backoff=FAST, **kwargs
    )


async def test_one_encode_reaches_two_destinations_in_the_seed_format(
    receiver: RtmpReceiver, bus: EventBus, recorder: Recorder
) -> None:
    destinations = [
        Destination.from_parts("retake", receiver.url("retake"), "retakekey0001"),
        Destination.from_parts("basefm", receiver.url("basefm"), "basefmkey0001"),
    ]
    async with pipeline(destinations, bus) as live:
        assert await live.wait_live(limit=10)
        assert live.destination_states == {
            "retake": DestinationState.LIVE,
            "basefm": DestinationState.LIVE,
        }
        picture = Image.open(io.BytesIO(await live.thumbnail_jpeg(max_width=640)))
        assert picture.size == (640, 360) and not is_blank(picture)
        await wait_until(lambda: live.stats and live.stats.out_time >= 4.0, 15, "4 s encoded")
        stats = live.stats
    # encoding (its speed is for the benchmarks: a loaded test machine runs slower)
    assert stats is not None and stats.fps > 0
    assert stats.drop_frames >= 0 and stats.frame >= 100
    assert len(recorder.of("encoder.stats")) >= 3
    assert [e.process for e in recorder.of("process.started")] == [
        "pulseaudio",
        "Xvfb",
        "xterm",
        "ffmpeg",
    ]
    for app in ("retake", "basefm"):
        (recording,) = receiver.recordings(app)
        streams = {s["codec_type"]: s for s in ffprobe(recording)}
        video, audio = streams["video"], streams["audio"]
        assert (video["codec_name"], video["pix_fmt"], video["width"], video["height"]) == (
            "h264",
            "yuv420p",
            1280,
            720,
        )
        assert video["r_frame_rate"] == "30/1"
        assert (audio["codec_name"], audio["channels"], audio["sample_rate"]) == ("aac", 2, "44100")


async def test_an_unreachable_destination_is_retried_alone_and_rejoins(
    receiver: RtmpReceiver, bus: EventBus, recorder: Recorder, tmp_path: Path
) -> None:
    closed = free_port()
    destinations = [
        Destination.from_parts("extra-1", receiver.url("extra"), "goodkey00001"),
        Destination.from_parts("extra-2", f"rtmp://127.0.0.1:{closed}/extra", "latekey00001"),
    ]

    def retries() -> list:
        return [
            e
            for e in recorder.of("destination.state")
            if e.destination == "extra-2" and e.state == "retrying"
        ]

    async with pipeline(destinations, bus) as live:
        await wait_until(
            lambda: len(retries()) >= 2, 15, "two retries of the unreachable destination"
        )
        assert await live.wait_live(["extra-1"], limit=10)
        before = size_of(receiver.recordings("extra"))
        await wait_until(
            lambda: size_of(receiver.recordings("extra")) > before, 10, "the good recording grows"
        )
        assert len(receiver.recordings("extra")) == 1, "the good destination was never interrupted"
        # the unreachable destination comes up: its relay reaches it without a restart
        with RtmpReceiver(closed, tmp_path / "late") as late:
            await wait_until(lambda: late.recordings("extra"), 15, "the late destination records")
            await wait_until(
                lambda: live.destination_states["extra-2"] == DestinationState.LIVE,
                10,
                "relay live",
            )
            first = size_of(late.recordings("extra"))
            await wait_until(
                lambda: size_of(late.recordings("extra")) > first, 10, "the relayed stream grows"
            )
            # the relay's feed is a private pipe: no loopback UDP that another user could
            # read the stream from or inject into
            relay = live.relays["extra-2"].process
            assert relay is not None and relay.pid and live.encoder and live.encoder.process.pid
            assert os.readlink(f"/proc/{relay.pid}/fd/0").startswith("pipe:")
            assert udp_sockets(relay.pid) == set() == udp_sockets(live.encoder.process.pid)
        assert live.recoveries == 0
    streams = {s["codec_type"] for s in ffprobe(receiver.recordings("extra")[0])}
    assert streams == {"video", "audio"}


async def test_killing_ffmpeg_recovers_with_fresh_destinations(
    receiver: RtmpReceiver, bus: EventBus, recorder: Recorder
) -> None:
    calls: list[int] = []

    async def refresh() -> list[Destination]:
        calls.append(1)
        return [
            Destination.from_parts("retake", receiver.url("retake"), f"freshkey{len(calls):05d}")
        ]

    first = [Destination.from_parts("retake", receiver.url("retake"), "firstkey00001")]
    async with pipeline(first, bus, refresh_destinations=refresh) as live:
        await wait_until(lambda: receiver.recordings("retake"), 10, "first recording")
        assert live.encoder is not None
        live.encoder.process.signal(signal.SIGKILL)
        await wait_until(lambda: recorder.of("pipeline.recovered"), 15, "recovery")
        await wait_until(lambda: len(receiver.recordings("retake")) == 2, 10, "a second recording")
        second = receiver.recordings("retake")[-1]
        size = second.stat().st_size
        await wait_until(lambda: second.stat().st_size > size, 10, "the second recording grows")
    assert calls == [1]
    assert second.name.startswith("freshkey00001-")
    assert live.destinations[0].secret_url.endswith("/freshkey00001")
    (exited,) = recorder.of("process.exited")
    assert exited.process == "ffmpeg"
    assert recorder.of("pipeline.recovered")[0].restarted == ["ffmpeg"]


async def test_killing_xvfb_brings_back_display_terminal_and_encoder(
    receiver: RtmpReceiver, bus: EventBus, recorder: Recorder
) -> None:
    destinations = [Destination.from_parts("extra", receiver.url("extra"), "xvfbkey00001")]
    async with pipeline(destinations, bus) as live:
        await wait_until(lambda: receiver.recordings("extra"), 10, "first recording")
        assert live.display.process is not None
        live.display.process.signal(signal.SIGKILL)
        await wait_until(lambda: recorder.of("pipeline.recovered"), 20, "recovery")
        assert recorder.of("pipeline.recovered")[0].restarted == ["Xvfb", "xterm", "ffmpeg"]
        assert live.display.running and live.terminal is not None and live.terminal.running
        assert live.terminal.fills_frame and live.grid == (160, 45)
        assert live.encoder is not None and live.encoder.display == live.display_name
        await wait_until(lambda: len(receiver.recordings("extra")) == 2, 10, "a second recording")
        second = receiver.recordings("extra")[-1]
        size = second.stat().st_size
        await wait_until(lambda: second.stat().st_size > size, 10, "the second recording grows")


async def test_keys_never_reach_events_or_logs(
    receiver: RtmpReceiver, bus: EventBus, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    closed = free_port()
    # plain keys (no well-known shape): only the registration of the secret masks them
    good, bad = "plainsecret7781", "plainsecret9932"
    destinations = [
        Destination.from_parts("extra", receiver.url("extra"), good),
        Destination.from_parts("broken", f"rtmp://127.0.0.1:{closed}/app", bad),
    ]
    async with pipeline(destinations, bus) as live:
        await wait_until(lambda: live.stats and live.stats.out_time >= 2, 10, "encoding")
        await wait_until(
            lambda: any(
                e.kind == "process.output" and "Slave muxer" in e.line for e in recorder.events
            ),
            10,
            "the tee reports the broken destination",
        )
        assert live.encoder is not None
        command = live.encoder.process.command_line
    outputs = [e.line for e in recorder.of("process.output")]
    assert any("[REDACTED]" in line for line in outputs), outputs  # FFmpeg did print the URL
    text = "\n".join(recorder.lines) + "\n" + caplog.text + "\n" + command + repr(destinations)
    assert "ffmpeg" in command and f"127.0.0.1:{closed}" in text
    assert good not in text and bad not in text
