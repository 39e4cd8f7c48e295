"""The kiosk's end of the control channel: a Unix socket (mode 0600) taking JSON lines.

Whatever has arrived is read as one batch: each line is validated into a command, the
valid ones are handed to the app together and in order (one ``KioskCommands`` message,
so a burst of chat is applied and drawn once, not once a line), and the sender gets one
reply a line, ``{"ok": true}`` or the reason that line alone was refused. A lone
command waits for nothing: it is a batch of one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from studio.errors import StudioError
from studio.onair.protocol import (
    OK,
    CommandLines,
    Reply,
    ScreenRequest,
    decode,
    encode,
)
from studio.redaction import redact
from studio.unix_socket import socket_path_problem

log = logging.getLogger(__name__)

READ_SIZE = 64 * 1024


class SocketBusy(StudioError):
    pass


async def _in_use(path: Path) -> bool:
    try:
        _, writer = await asyncio.open_unix_connection(str(path))
    except (ConnectionError, OSError):
        return False
    writer.close()
    return True


async def serve(
    path: Path,
    deliver: Callable[[list[Any]], None],
    screen: Callable[[], Awaitable[str]] | None = None,
) -> ControlServer:
    """Listen on ``path``; ``deliver`` receives the valid commands of each batch in
    order, and ``screen`` answers a ``ScreenRequest`` with the picture as text."""
    problem = socket_path_problem(path)
    if problem:
        raise StudioError(
            f"The control socket cannot be created: {problem}.",
            fix="Pass a shorter --socket path (or set STUDIO_KIOSK_SOCKET).",
        )
    # Local metadata calls on a socket path: too quick to be worth a thread.
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # noqa: ASYNC240
    if path.exists() or path.is_symlink():  # noqa: ASYNC240
        if await _in_use(path):
            raise SocketBusy(
                f"Another kiosk is already listening on {path}.",
                fix="Stop it first, or start this one with a different --socket.",
            )
        path.unlink()  # noqa: ASYNC240

    async def answer(lines: list[bytes]) -> bytes:
        """Hand the batch's valid commands to the app; one reply a line, in order."""
        replies: list[bytes] = []
        commands: list[Any] = []
        for line in lines:
            if not line.strip():
                continue
            try:
                command = decode(line)
            except (StudioError, ValueError) as exc:
                replies.append(encode(Reply(ok=False, error=redact(str(exc)))))
                continue
            if not isinstance(command, ScreenRequest):
                commands.append(command)
                replies.append(OK)
            elif screen is None:
                replies.append(encode(Reply(ok=False, error="this kiosk cannot show its picture")))
            else:
                if commands:  # what came before the request goes first
                    deliver(commands)
                    commands = []
                replies.append(encode(Reply(ok=True, screen=await screen())))
        if commands:
            deliver(commands)
        return b"".join(replies)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # a connection still open when the kiosk ends is cancelled: Python 3.11's stream
        # server logs a cancelled handler as an unhandled error, so it ends quietly
        with contextlib.suppress(asyncio.CancelledError):
            await serve_client(reader, writer)

    async def serve_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        clients.add(writer)
        lines = CommandLines()
        try:
            while True:
                chunk = await reader.read(READ_SIZE)
                replies = await answer(lines.feed(chunk) if chunk else lines.rest())
                if lines.too_long:
                    error = f"line longer than {lines.limit} bytes"
                    replies += encode(Reply(ok=False, error=error))
                if replies:
                    writer.write(replies)
                    await writer.drain()
                if not chunk or lines.too_long:
                    break
        except (ConnectionError, OSError):
            pass
        finally:
            clients.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    clients: set[asyncio.StreamWriter] = set()
    old_umask = os.umask(0o177)
    try:
        server = await asyncio.start_unix_server(handle, path=str(path))
    finally:
        os.umask(old_umask)
    os.chmod(path, 0o600)
    return ControlServer(server, clients)


class ControlServer:
    """The listening socket and its connections; closing it hangs up on every client,
    so their links notice at once and reconnect to the next kiosk."""

    def __init__(
        self, server: asyncio.base_events.Server, clients: set[asyncio.StreamWriter]
    ) -> None:
        self.server, self.clients = server, clients

    async def serve_forever(self) -> None:
        await self.server.serve_forever()

    def close(self) -> None:
        self.server.close()
        for writer in list(self.clients):
            writer.close()
