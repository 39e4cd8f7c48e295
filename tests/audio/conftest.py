"""Fixtures for the audio tests: the studio's own sound server, real processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from studio.broadcast.sound_server import SoundServer
from studio.events import EventBus
from studio.sandbox.rtmp_receiver import RtmpReceiver
from tests.broadcast.broadcast_helpers import Recorder, need, need_rtmp


@pytest.fixture
async def sound() -> AsyncIterator[SoundServer]:
    need("pulseaudio", "pactl", "paplay", "ffmpeg")
    server = SoundServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[RtmpReceiver]:
    need_rtmp()
    with RtmpReceiver(record_dir=tmp_path / "recordings") as rtmp:
        yield rtmp


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def recorder(bus: EventBus) -> Recorder:
    return Recorder(bus)
