"""A control server on a real Unix socket, in process, over the in-process sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.config import Paths, PlatformUrls
from studio.control.operator import ControlOperator
from studio.control.runtime import Runtime
from studio.control.server import ControlServer
from studio.control.state import BroadcastState
from studio.events import EventBus

SANDBOX = "http://sandbox.test"
URLS = PlatformUrls(retake=SANDBOX, clawcast=SANDBOX, basefm=SANDBOX)


@dataclass
class Served:
    server: ControlServer
    runtime: Runtime
    socket_path: Path

    @property
    def bus(self) -> EventBus:
        return self.runtime.bus


@contextlib.asynccontextmanager
async def served(
    *,
    bus: EventBus | None = None,
    transport: Any = None,
    chat_lines: int = 200,
    **options: Any,
) -> AsyncIterator[Served]:
    bus = bus or EventBus()
    runtime = Runtime(
        bus,
        ControlOperator(bus),
        BroadcastState(service={"pid": 0}, chat_lines=chat_lines),
        urls=URLS,
        paths=Paths.from_env(),
        transport=transport,
    )
    socket_path = Path(tempfile.mkdtemp(prefix="ctl-")) / "control.sock"
    server = ControlServer(runtime, socket_path, **options)
    await server.start()
    try:
        yield Served(server, runtime, socket_path)
    finally:
        await server.close(within=1.0)
        await runtime.aclose()


class RawClient:
    """A client speaking the wire format by hand, to send what a good client never would."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, path: Path, limit: int = 2**22) -> RawClient:
        """``limit``: asyncio stops reading the socket once twice this much is unread."""
        reader, writer = await asyncio.open_unix_connection(str(path), limit=limit)
        return cls(reader, writer)

    async def send(self, message: Any) -> None:
        line = message if isinstance(message, bytes) else json.dumps(message).encode()
        self.writer.write(line.rstrip(b"\n") + b"\n")
        await self.writer.drain()

    async def read(self, within: float = 5.0) -> dict[str, Any]:
        line = await asyncio.wait_for(self.reader.readline(), within)
        assert line, "the server closed the connection"
        return json.loads(line)

    async def read_until(self, predicate: Callable[[dict], bool], within: float = 10.0) -> dict:
        async with asyncio.timeout(within):
            while True:
                message = await self.read(within)
                if predicate(message):
                    return message

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()


async def until(condition: Callable[[], Any], within: float = 10.0, every: float = 0.02) -> Any:
    """Poll ``condition`` until it is truthy; its value."""
    async with asyncio.timeout(within):
        while not (value := condition()):  # noqa: ASYNC110 - polling for a condition
            await asyncio.sleep(every)
    return value
