"""Helpers for go-live tests that run on the in-process sandbox and its FakeClock."""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

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


@contextlib.asynccontextmanager
async def fake_kiosk() -> AsyncIterator[tuple[Path, list[dict]]]:
    """A Unix socket that answers every kiosk command ``ok`` and keeps what it got."""
    lines: list[dict] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            lines.append(json.loads(line))
            writer.write(b'{"ok": true}\n')
            await writer.drain()

    socket_path = Path(tempfile.mkdtemp(prefix="k-")) / "k.sock"
    server = await asyncio.start_unix_server(serve, path=str(socket_path))
    try:
        yield socket_path, lines
    finally:
        server.close()
