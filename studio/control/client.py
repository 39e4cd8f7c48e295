"""``ControlClient``: the one way the console, the CLI verbs and ``studio golive`` in
the foreground talk to a running broadcast.

    async with await ControlClient.connect(events=["chat.*", "golive.*"]) as studio:
        print(studio.snapshot["state"], studio.seq)
        await studio.send_chat("hello")          # raises CommandFailed when not ok
        async for message in studio.messages():  # events, resyncs, then bye
            if message["op"] == "event":
                show(message["event"])

``connect`` says hello and waits for the welcome, so ``snapshot`` and ``seq`` are set
before the first event arrives; events then follow in order with no gap. After a
``resync`` message (the client fell behind), ``snapshot`` and ``seq`` are the fresh
ones; a consumer that falls ``BACKLOG`` messages behind gets a ``resync`` too.
``parse_event`` turns an event's JSON back into its typed ``Event``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

from studio.control.endpoint import NoBroadcast, find_socket
from studio.control.protocol import MAX_LINE_BYTES, PROTOCOL_VERSION, Response
from studio.errors import StudioError
from studio.events import Event

BACKLOG = 2000
"""Messages held for a consumer that is slower than the broadcast (a blocked terminal);
beyond it the client drops them and resyncs, so its memory stays bounded."""


class CommandFailed(StudioError):
    """The studio answered a request with a code of 300 or more."""

    def __init__(self, response: Response) -> None:
        self.response = response
        problems = "; ".join(f"{p['field']}: {p['rule']}" for p in response.problems)
        super().__init__(
            f"{response.code}: {response.comment}" + (f" ({problems})" if problems else "")
        )


class ControlClient:
    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, backlog: int = BACKLOG
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._ids = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[Response]] = {}
        self._messages: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.backlog = backlog
        self._skipping = False
        self._skipped = 0
        self._task: asyncio.Task[None] | None = None
        self.snapshot: dict[str, Any] = {}
        self.seq = 0
        """The newest event's sequence number (the snapshot's until an event arrives)."""
        self.snapshot_seq = 0
        """The sequence number ``snapshot`` is as of (events after it follow)."""
        self.commands: list[str] = []
        self.server: dict[str, Any] = {}
        self.closed_reason: str | None = None

    # -- connecting -------------------------------------------------------------------
    @classmethod
    async def connect(
        cls,
        socket_path: Path | str | None = None,
        *,
        events: Iterable[str] = ("*",),
        client: str = "client",
        within: float = 10.0,
        backlog: int = BACKLOG,
    ) -> ControlClient:
        """Attach to the running broadcast; ``NoBroadcast`` when none listens."""
        path = Path(socket_path) if socket_path else find_socket()
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_unix_connection(str(path), limit=MAX_LINE_BYTES), within
            )
        except (FileNotFoundError, ConnectionRefusedError):
            raise NoBroadcast(f"nothing listens on {path}") from None
        except TimeoutError:
            raise NoBroadcast(f"{path} did not accept a connection within {within:g} s") from None
        self = cls(reader, writer, backlog)
        hello = {"op": "hello", "protocol": PROTOCOL_VERSION, "client": client}
        try:
            await self._send({**hello, "events": list(events)})
            async with asyncio.timeout(within):
                line = await reader.readline()
        except TimeoutError:
            await self.close()
            raise NoBroadcast(f"the studio on {path} did not answer within {within:g} s") from None
        except (NoBroadcast, ConnectionError, OSError):
            line = b""  # it closed as we came: the broadcast is ending
        if not line:
            await self.close()
            raise NoBroadcast(f"the studio on {path} closed the connection")
        welcome = json.loads(line)
        if welcome.get("op") != "welcome":
            await self.close()
            raise CommandFailed(Response.model_validate(welcome))
        self._take_snapshot(welcome)
        self.commands = list(welcome.get("commands", []))
        self.server = dict(welcome.get("server", {}))
        self._task = asyncio.create_task(self._read(), name="control-client")
        return self

    async def __aenter__(self) -> ControlClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()

    # -- requests ---------------------------------------------------------------------
    async def request(self, command: str, **args: Any) -> Response:
        """Send one request and wait for its response (whatever its code)."""
        request_id = str(next(self._ids))
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        try:
            await self._send({"op": "request", "id": request_id, "command": command, "args": args})
            return await future
        finally:
            self._waiting.pop(request_id, None)

    async def call(self, command: str, **args: Any) -> Any:
        """Send one request; its ``data`` when ok, else ``CommandFailed``."""
        response = await self.request(command, **args)
        if not response.ok:
            raise CommandFailed(response)
        return response.data

    async def _send(self, message: dict[str, Any]) -> None:
        try:
            self._writer.write(json.dumps(message, ensure_ascii=False).encode() + b"\n")
            await self._writer.drain()
        except (ConnectionError, OSError):
            raise NoBroadcast("the broadcast closed the connection") from None

    # -- the stream -------------------------------------------------------------------
    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        """Every event, resync and bye, in order; ends when the connection closes."""
        while True:
            message = await self._messages.get()
            if message is None:
                return
            yield message

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """Just the events' own JSON (``{"event": kind, ...}``)."""
        async for message in self.messages():
            if message.get("op") == "event":
                yield message["event"]

    async def _read(self) -> None:
        try:
            while line := await self._reader.readline():
                message = json.loads(line)
                op = message.get("op")
                if op == "response":
                    future = self._waiting.get(str(message.get("id")))
                    if future is not None and not future.done():
                        future.set_result(Response.model_validate(message))
                    continue
                if op in ("event", "resync") and not self._room_for(message):
                    continue
                if op == "event":
                    self.seq = int(message.get("seq", self.seq))
                elif op == "resync":
                    self._take_snapshot(message)
                elif op == "bye":
                    self.closed_reason = str(message.get("reason") or "")
                self._messages.put_nowait(message)
        except (ConnectionError, OSError, ValueError):
            pass
        finally:
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(NoBroadcast("the broadcast closed the connection"))
            self._messages.put_nowait(None)

    def _room_for(self, message: dict[str, Any]) -> bool:
        """Whether to queue ``message``. The reader never stops reading (responses must
        get through), so a consumer that falls ``backlog`` messages behind has its queue
        dropped and the server is asked for a fresh snapshot; what arrives before that
        ``resync`` is older than it and skipped."""
        if self._skipping:
            if message.get("op") != "resync":
                self._skipped += 1
                return False
            self._skipping = False
            message["dropped"] = int(message.get("dropped") or 0) + self._skipped
            self._skipped = 0
            return True
        if self._messages.qsize() < self.backlog:
            return True
        while not self._messages.empty():
            held = self._messages.get_nowait() or {}
            self._skipped += int(held.get("dropped") or 0) if held.get("op") == "resync" else 1
        self._skipped += 1
        self._skipping = True
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            self._writer.write(b'{"op":"resync"}\n')
        return False

    def _take_snapshot(self, message: dict[str, Any]) -> None:
        self.snapshot = dict(message.get("snapshot") or {})
        self.seq = self.snapshot_seq = int(message.get("seq", 0))

    # -- the commands, typed --------------------------------------------------------------
    async def status(self) -> dict[str, Any]:
        return dict(await self.call("status"))

    async def stop(self, reason: str = "stopped by the operator") -> None:
        await self.call("stop", reason=reason)

    async def reconnect(self) -> None:
        await self.call("reconnect")

    async def answer(self, need: str, value: str) -> str:
        return str((await self.call("answer", need=need, value=value))["id"])

    async def send_chat(self, text: str, *, to: str | None = None, clawcast: bool = False) -> None:
        args: dict[str, Any] = {"text": text}
        if to:
            args["to"] = to
        if clawcast:
            args["clawcast"] = True
        await self.call("chat.send", **args)

    async def switch_scene(self, scene: str) -> None:
        await self.call("kiosk.scene", scene=scene)

    async def show_message(self, text: str, seconds: float | None = None) -> None:
        await self.call("kiosk.message", text=text, **({"seconds": seconds} if seconds else {}))

    async def push_slides(self, slides: list[dict[str, Any]], *, loop: bool = False) -> None:
        await self.call("slides.push", slides=slides, loop=loop)

    async def publish_batch(self, slides: list[dict[str, Any]]) -> Any:
        return await self.call("clawcast.batch", slides=slides)

    async def vote(self, poll_id: str, option_index: int, viewer_id: str) -> Any:
        return await self.call(
            "clawcast.vote", poll_id=poll_id, option_index=option_index, viewer_id=viewer_id
        )

    async def poll_results(self) -> Any:
        return await self.call("clawcast.poll_results")

    async def request_duet(self, question: str) -> Any:
        return await self.call("clawcast.duet.request", question=question)

    async def duets(self) -> list[dict[str, Any]]:
        return list(await self.call("clawcast.duets"))

    async def accept_duet(self, request_id: str, answer: str) -> Any:
        return await self.call("clawcast.duet.accept", request_id=request_id, answer=answer)

    async def reply_duet(self, request_id: str, reply: str) -> Any:
        return await self.call("clawcast.duet.reply", request_id=request_id, reply=reply)

    async def clawcast_queue(self) -> Any:
        return await self.call("clawcast.queue")


def _event_types() -> dict[str, type[Event]]:
    import studio.audio.events
    import studio.broadcast.events
    import studio.golive.events
    import studio.platforms.retake_events  # noqa: F401 - registers the feed's events

    found: dict[str, type[Event]] = {}
    stack: list[type[Event]] = [Event]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            found.setdefault(sub.kind, sub)
            stack.append(sub)
    return found


_TYPES: dict[str, type[Event]] = {}


def parse_event(data: dict[str, Any]) -> Event | None:
    """The typed event of an event's JSON, or None for a kind this studio does not know."""
    if not _TYPES:
        _TYPES.update(_event_types())
    cls = _TYPES.get(str(data.get("event")))
    if cls is None:
        return None
    fields = {k: v for k, v in data.items() if k != "event"}
    try:
        return cls.model_validate(fields)
    except ValueError:
        return None
