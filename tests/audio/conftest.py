"""Fixtures for the audio tests: the studio's own sound server, a real process (the bus,
its recorder and the RTMP receiver are the shared ones of tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from studio.broadcast.sound_server import SoundServer
from tests.broadcast.broadcast_helpers import need


@pytest.fixture
async def sound() -> AsyncIterator[SoundServer]:
    need("pulseaudio", "pactl", "paplay", "ffmpeg")
    server = SoundServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
