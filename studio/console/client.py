"""What the console needs of the broadcast service, and nothing more.

The console is a client of the studio's control API (the broadcast as a service): it
attaches, receives the current state and then the live events, and sends commands
that come back with a response. It never calls a platform client itself.

``ConsoleClient`` is that contract. ``BusClient`` fulfils it in-process, over an
``EventBus`` and a command handler, for a service running in the same process.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from studio.events import Event, EventBus


@dataclass(frozen=True)
class Command:
    """One request to the service: a verb and its arguments.

    The control API's commands (``studio/control/commands.py``): ``answer`` (need: the
    step's id or need, value), ``stop`` (reason), ``reconnect``, ``chat.send`` (text,
    to: another agent's room, clawcast), ``clawcast.batch`` (slides),
    ``clawcast.duet.request`` (question), ``clawcast.duets``, ``clawcast.duet.accept``
    (request_id, answer), ``clawcast.duet.reply`` (request_id, reply),
    ``clawcast.book`` (slides, duration_minutes), ``clawcast.queue``, ``basefm.live``,
    ``retake.live``, ``retake.tokens.top``, ``retake.tokens.trending``. Going live is
    not a command: the console starts the service itself (``spawn_detached``), and
    retake.tv registration is an operator step answered with ``answer``.
    """

    verb: str
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Response:
    """The service's answer: ``ok``, a sentence for the operator, and any data."""

    ok: bool
    comment: str = ""
    data: Any = None
    code: int = 200
    problems: list[dict[str, str]] = field(default_factory=list)
    """Each broken rule as ``{"field", "rule"}`` (a 400 names them all)."""


@dataclass(frozen=True)
class Resync:
    """The console fell behind the service: start again from this whole state."""

    snapshot: Mapping[str, Any]


@dataclass
class Attachment:
    """What attaching gives: the state at that moment, then every event after it."""

    snapshot: Mapping[str, Any]
    events: AsyncIterator[Event | Resync]


class ConsoleClient(Protocol):
    socket_path: Path | None
    """Where the service listens (None: in-process); a broadcast the console starts
    listens there too."""

    def attach(self) -> contextlib.AbstractAsyncContextManager[Attachment]: ...
    async def send(self, command: Command) -> Response: ...


CommandHandler = Callable[[Command], Awaitable[Response]]


class BusClient:
    """An in-process service: events from ``bus``, commands to ``handler``.

    ``history`` is replayed as the snapshot, so a console that attaches late still draws
    the whole state (list-then-watch, with nothing lost in between: the subscription is
    opened before the snapshot is taken).
    """

    socket_path: Path | None = None

    def __init__(
        self,
        bus: EventBus,
        handler: CommandHandler,
        *,
        history: Callable[[], list[Event]] | None = None,
        queue: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        self.bus, self.handler = bus, handler
        self._history = history or (lambda: [])
        self._queue = queue or (lambda: {})

    @contextlib.asynccontextmanager
    async def attach(self) -> AsyncIterator[Attachment]:
        async with self.bus.subscribe() as events:
            snapshot = {"events": list(self._history()), "queue": dict(self._queue())}
            yield Attachment(snapshot, events)

    async def send(self, command: Command) -> Response:
        return await self.handler(command)
