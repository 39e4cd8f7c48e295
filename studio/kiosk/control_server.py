"""The kiosk's end of the control channel: a Unix socket (mode 0600) taking JSON lines.

Each line is validated into a command and posted to the app as ``KioskCommand``; the
sender gets ``{"ok": true}`` or the reason it was refused.
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
    MAX_LINE_BYTES,
    Reply,
    ScreenRequest,
    decode,
    socket_path_problem,
)
from studio.redaction import redact

log = logging.getLogger(__name__)


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
    deliver: Callable[[Any], None],
    screen: Callable[[], Awaitable[str]] | None = None,
) -> ControlServer:
    """Listen on ``path``; ``deliver`` receives every valid command, and ``screen``
    answers a ``ScreenRequest`` with the picture as text."""
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

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        clients.add(writer)
        try:
            while line := await reader.readline():
                if not line.strip():
                    continue
                try:
                    command = decode(line)
                except (StudioError, ValueError) as exc:
                    reply = Reply(ok=False, error=redact(str(exc)))
                else:
                    if isinstance(command, ScreenRequest):
                        if screen is None:
                            reply = Reply(ok=False, error="this kiosk cannot show its picture")
                        else:
                            reply = Reply(ok=True, screen=await screen())
                    else:
                        deliver(command)
                        reply = Reply(ok=True)
                writer.write(reply.model_dump_json(exclude_none=True).encode() + b"\n")
                await writer.drain()
        except ValueError:
            writer.write(
                Reply(ok=False, error=f"line longer than {MAX_LINE_BYTES} bytes")
                .model_dump_json()
                .encode()
                + b"\n"
            )
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
        server = await asyncio.start_unix_server(handle, path=str(path), limit=MAX_LINE_BYTES)
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
