"""The console's link to a running broadcast: the control API's Unix socket.

A thin adapter from ``studio.control.client.ControlClient`` to ``ConsoleClient``:
attach gives the service's snapshot and then its typed events; a ``resync`` (the
console fell behind) arrives as a ``Resync`` carrying the fresh snapshot; a command is
one request and its response. A broadcast that is not there is a ``ConnectionError``
the console reports and retries.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from studio.console.client import Attachment, Command, Response, Resync
from studio.control.client import ControlClient, parse_event
from studio.control.endpoint import START_HINT, NoBroadcast
from studio.events import Event


class ServiceClient:
    def __init__(self, socket_path: Path | None = None) -> None:
        self.socket_path = socket_path
        self._control: ControlClient | None = None

    @contextlib.asynccontextmanager
    async def attach(self) -> AsyncIterator[Attachment]:
        try:
            control = await ControlClient.connect(self.socket_path, client="console")
        except NoBroadcast as exc:  # the console's own way out: F9 (not the CLI's fix)
            raise ConnectionError(
                f"{exc.message}. F9 goes live from here (or `{START_HINT}` elsewhere); the "
                "console attaches by itself once one runs"
            ) from None
        self._control = control
        try:
            yield Attachment(control.snapshot, self._events(control))
        finally:
            self._control = None
            await control.close()

    async def _events(self, control: ControlClient) -> AsyncIterator[Event | Resync]:
        async for message in control.messages():
            op = message.get("op")
            if op == "event":
                event = parse_event(message.get("event") or {})
                if event is not None:
                    yield event
            elif op == "resync":
                yield Resync(control.snapshot)
            elif op == "bye":
                raise ConnectionError(control.closed_reason or "the broadcast said goodbye")
        raise ConnectionError("the broadcast closed the connection")

    async def send(self, command: Command) -> Response:
        control = self._control
        if control is None:
            raise ConnectionError("not attached to a broadcast")
        try:
            reply = await control.request(command.verb, **dict(command.args))
        except NoBroadcast as exc:
            raise ConnectionError(str(exc)) from None
        return Response(reply.ok, reply.comment, reply.data, reply.code, list(reply.problems))
