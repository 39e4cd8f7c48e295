"""Fixtures for the broadcast tests: a real Xvfb (the bus, its recorder and the RTMP
receiver are the shared ones of tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from studio.broadcast.display import VirtualDisplay
from tests.broadcast.broadcast_helpers import need


@pytest.fixture
async def display() -> AsyncIterator[VirtualDisplay]:
    need("Xvfb")
    virtual = VirtualDisplay()
    await virtual.start()
    try:
        yield virtual
    finally:
        await virtual.stop()
