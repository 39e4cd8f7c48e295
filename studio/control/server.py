"""The control API's server: a 0600 Unix socket, many clients, none able to slow the show.

The server is a listener on the bus. For each event it numbers it, applies it to the
``BroadcastState`` and queues one encoded line for every client that wants its kind.
All of that is synchronous and never waits: each client has its own bounded queue and
its own writer task. A client that stops reading loses its queued events and, when it
reads again, gets a ``resync`` (a fresh snapshot); one whose socket stays full for
``stall_seconds`` is disconnected. Requests run as tasks, so a slow platform call never
holds up the client's other requests or anyone's events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections import deque
from pathlib import Path
from typing import Any

from studio import __version__
from studio.control.commands import COMMANDS
from studio.control.protocol import (
    MAX_LINE_BYTES,
    PROTOCOL_VERSION,
    Hello,
    Request,
    Response,
    Resync,
    decode_client,
    encode,
    problems_payload,
)
from studio.control.runtime import CommandRefused, Runtime
from studio.errors import Problem, StudioError, ValidationFailed
from studio.events import Event
from studio.platforms._http import PlatformError
from studio.validation import check

log = logging.getLogger(__name__)

MAX_REQUESTS_IN_FLIGHT = 16
MAX_UNREAD_REPLIES = 256
"""A client this many answers behind is not reading them: it is disconnected."""


class Peer:
    """One attached client: its hello, its queues and its writer."""

    def __init__(self, writer: asyncio.StreamWriter, number: int, max_queue: int) -> None:
        self.writer = writer
        self.number = number
        self.max_queue = max_queue
        self.hello: Hello | None = None
        self.replies: deque[bytes] = deque()
        self.events: deque[bytes] = deque()
        self.dropped = 0
        self.lost = 0
        """Events this client never got, over its whole connection (each replaced by a resync)."""
        self.behind = False
        self.bye: bytes | None = None
        self.wake = asyncio.Event()
        self.drained = asyncio.Event()
        self.drained.set()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.closing = False

    @property
    def name(self) -> str:
        return f"#{self.number} ({self.hello.client if self.hello else 'not identified'})"

    def reply(self, line: bytes) -> None:
        self.replies.append(line)
        self.drained.clear()
        self.wake.set()

    def event(self, line: bytes) -> None:
        if len(self.events) >= self.max_queue:
            # it stopped reading: forget what it missed; a resync replaces it
            self.skip_backlog()
        self.events.append(line)
        self.drained.clear()
        self.wake.set()

    def skip_backlog(self) -> None:
        """Forget the queued events; the next write starts with a resync instead."""
        self.dropped += len(self.events)
        self.lost += len(self.events)
        self.events.clear()
        self.behind = True
        self.drained.clear()
        self.wake.set()


class ControlServer:
    def __init__(
        self,
        runtime: Runtime,
        socket_path: Path,
        *,
        max_queue: int = 2000,
        stall_seconds: float = 30.0,
    ) -> None:
        self.runtime = runtime
        self.socket_path = socket_path
        self.max_queue = max_queue
        self.stall_seconds = stall_seconds
        self.seq = 0
        self.peers: set[Peer] = set()
        self.disconnected = 0
        self._numbers = 0
        self._server: asyncio.AbstractServer | None = None
        self._unlisten: Any = None

    # -- life -------------------------------------------------------------------------
    async def start(self) -> None:
        folder = self.socket_path.parent
        if not folder.exists():  # a folder the operator chose (``/tmp``) keeps its mode
            folder.mkdir(parents=True, mode=0o700)
            os.chmod(folder, 0o700)
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()  # the caller checked no live service owns it
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(str(self.socket_path))
            os.chmod(self.socket_path, 0o600)
        except OSError:
            sock.close()
            raise
        self._server = await asyncio.start_unix_server(self._serve, sock=sock, limit=MAX_LINE_BYTES)
        self._unlisten = self.runtime.bus.add_listener(self._on_event)

    async def close(self, *, reason: str = "the broadcast ended", within: float = 3.0) -> None:
        """Say goodbye, give every client ``within`` seconds to take its last events, close."""
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        if self._server is not None:
            self._server.close()
        bye = encode({"op": "bye", "reason": reason})
        for peer in list(self.peers):
            peer.bye = bye  # after its last events
            peer.drained.clear()
            peer.wake.set()
        waits = [asyncio.ensure_future(p.drained.wait()) for p in self.peers]
        if waits:
            _, late = await asyncio.wait(waits, timeout=within)
            for wait in late:
                wait.cancel()
        for peer in list(self.peers):
            self._drop(peer)
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()

    # -- events -----------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        self.seq += 1
        self.runtime.state.apply(event)
        line: bytes | None = None
        for peer in self.peers:
            if peer.hello is not None and not peer.closing and peer.hello.wants(event.kind):
                line = line or encode({"op": "event", "seq": self.seq, "event": event.to_dict()})
                peer.event(line)

    def _welcome(self, op: str = "welcome", **extra: Any) -> bytes:
        return encode(
            {
                "op": op,
                "protocol": PROTOCOL_VERSION,
                "seq": self.seq,
                **extra,
                "snapshot": self.runtime.state.snapshot(),
            }
        )

    # -- one client -------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.CancelledError):  # the service is ending
            await self._serve_peer(reader, writer)

    async def _serve_peer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._numbers += 1
        peer = Peer(writer, self._numbers, self.max_queue)
        self.peers.add(peer)
        pump = asyncio.create_task(self._pump(peer), name=f"control-peer-{peer.number}")
        try:
            while not peer.closing:
                try:
                    line = await reader.readline()
                except ValueError:  # longer than MAX_LINE_BYTES
                    peer.reply(_error(None, 400, f"a line is longer than {MAX_LINE_BYTES} bytes"))
                    break
                except (ConnectionError, OSError):
                    break
                if not line:
                    break
                if line.strip():
                    self._handle(peer, line)
        finally:
            if peer.tasks and not peer.closing:  # answer what was asked before the EOF
                await asyncio.wait(set(peer.tasks), timeout=15.0)
            await self._flush(peer, within=1.0)
            self._drop(peer)
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump

    async def _flush(self, peer: Peer, within: float) -> None:
        if not peer.closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(peer.drained.wait(), within)

    def _drop(self, peer: Peer) -> None:
        if peer not in self.peers:
            return
        self.peers.discard(peer)
        self.disconnected += 1
        peer.closing = True
        peer.wake.set()
        peer.drained.set()
        for task in peer.tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            peer.writer.close()

    def _handle(self, peer: Peer, line: bytes) -> None:
        if len(peer.replies) >= MAX_UNREAD_REPLIES:
            log.warning("control client %s sends without reading its answers; dropped", peer.name)
            self._drop(peer)
            return
        try:
            message = decode_client(line)
        except ValidationFailed as exc:
            peer.reply(_error(_id_of(line), 400, exc.message, exc.problems))
            return
        if isinstance(message, Hello):
            if message.protocol != PROTOCOL_VERSION:
                problem = Problem("protocol", f"must be {PROTOCOL_VERSION}; this studio speaks it")
                peer.reply(_error(None, 400, "unsupported protocol version", [problem]))
                return
            # one synchronous step: the snapshot as of seq, then every event after it
            peer.hello = message
            peer.reply(
                self._welcome(
                    commands=sorted(COMMANDS),
                    server={"pid": os.getpid(), "version": __version__},
                )
            )
            return
        if isinstance(message, Resync):
            if peer.hello is not None:
                peer.skip_backlog()
            return
        if peer.hello is None:
            peer.reply(_error(message.id, 400, "say hello first (op: hello, protocol: 1)"))
            return
        if len(peer.tasks) >= MAX_REQUESTS_IN_FLIGHT:
            peer.reply(_error(message.id, 429, "too many requests in flight; wait for answers"))
            return
        task = asyncio.create_task(self._request(peer, message))
        peer.tasks.add(task)
        task.add_done_callback(peer.tasks.discard)

    async def _request(self, peer: Peer, request: Request) -> None:
        peer.reply(encode((await self.respond(request)).model_dump()))

    async def respond(self, request: Request) -> Response:
        """Validate and run one request; every failure becomes a response."""
        command = COMMANDS.get(request.command)
        if command is None:
            known = ", ".join(sorted(COMMANDS))
            return _response(
                request.id, 404, f"unknown command {request.command!r}; known: {known}"
            )
        try:
            args = check(command.args, request.args, what=f"{request.command} arguments")
            result = await command.handler(self.runtime, args)
        except ValidationFailed as exc:
            problems = [
                Problem(
                    p.field,
                    f"is not an argument of {request.command}"
                    if p.rule == "is not a field the platform accepts" and p.field in request.args
                    else p.rule,
                )
                for p in exc.problems
            ]
            return _response(request.id, 400, exc.message, problems=problems)
        except CommandRefused as exc:
            return _response(request.id, exc.code, exc.comment)
        except PlatformError as exc:
            return _response(request.id, 502, str(exc), data={"status": exc.status})
        except StudioError as exc:
            return _response(request.id, 409, str(exc))
        except Exception as exc:  # noqa: BLE001 - a failed command never takes the service down
            log.exception("control command %s failed", request.command)
            return _response(request.id, 500, f"the studio failed: {type(exc).__name__}: {exc}")
        return Response(
            id=request.id,
            ok=result.code < 300,
            code=result.code,
            comment=result.comment,
            data=result.data,
        )

    async def _pump(self, peer: Peer) -> None:
        """Write the peer's replies first, then its events; resync after a loss."""
        writer = peer.writer
        while not peer.closing:
            await peer.wake.wait()
            peer.wake.clear()
            while peer.replies or peer.events or peer.behind or peer.bye:
                batch: list[bytes] = []
                while peer.replies and len(batch) < 64:
                    batch.append(peer.replies.popleft())
                if peer.behind and not peer.replies:
                    # everything queued is in the fresh snapshot: send it instead
                    dropped, peer.dropped = peer.dropped + len(peer.events), 0
                    peer.lost += len(peer.events)
                    peer.events.clear()
                    peer.behind = False
                    batch.append(self._welcome("resync", dropped=dropped))
                while peer.events and len(batch) < 256:
                    batch.append(peer.events.popleft())
                if peer.bye and not (peer.replies or peer.events or peer.behind):
                    batch.append(peer.bye)
                    peer.bye = None
                try:
                    writer.write(b"".join(batch))
                    async with asyncio.timeout(self.stall_seconds):
                        await writer.drain()
                except TimeoutError:
                    log.warning(
                        "control client %s stopped reading for %g s; disconnected",
                        peer.name,
                        self.stall_seconds,
                    )
                    self._drop(peer)
                    return
                except (ConnectionError, OSError):
                    self._drop(peer)
                    return
            peer.drained.set()


def _response(
    request_id: Any,
    code: int,
    comment: str,
    problems: list[Problem] | None = None,
    data: Any = None,
) -> Response:
    return Response(
        id=request_id,
        ok=code < 300,
        code=code,
        comment=comment,
        data=data,
        problems=problems_payload(problems or []),
    )


def _error(
    request_id: Any, code: int, comment: str, problems: list[Problem] | None = None
) -> bytes:
    return encode(_response(request_id, code, comment, problems).model_dump())


def _id_of(line: bytes) -> Any:
    """The request id of a line that failed validation, when it has a usable one."""
    import json

    try:
        data = json.loads(line)
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str | int) and not isinstance(value, bool) else None
