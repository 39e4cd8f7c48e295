"""Fixtures for the broadcast tests: real Xvfb, xterm, FFmpeg and nginx processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from studio.broadcast.display import VirtualDisplay
from studio.events import EventBus
from studio.sandbox.rtmp_receiver import RtmpReceiver
from tests.broadcast.broadcast_helpers import Recorder, need, need_rtmp


@pytest.fixture
async def display() -> AsyncIterator[VirtualDisplay]:
    need("Xvfb")
    virtual = VirtualDisplay()
    await virtual.start()
    try:
        yield virtual
    finally:
        await virtual.stop()


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
