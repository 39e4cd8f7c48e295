"""Typed events the core emits, and the bus that carries them to their watchers.

The go-live sequence, the encoder and the platform feeds publish events here; the
headless CLI prints each as one JSON line, the journal stores them, and the console
shows them live. Events never carry a secret: ``to_json`` passes through redaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from studio.inert_text import json_safe
from studio.redaction import redact

log = logging.getLogger(__name__)


class Event(BaseModel):
    """Base of every core event. Subclasses set ``kind`` to a dotted name."""

    model_config = ConfigDict(frozen=True)

    kind: ClassVar[str] = "event"
    at: float = Field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, **self.model_dump(mode="json")}

    def to_json(self) -> str:
        import json

        text = json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)
        return json_safe(redact(text))


class ListenerFailed(Event):
    """A listener on the bus raised while handling an event; the others still got it."""

    kind: ClassVar[str] = "bus.listener_failed"
    listener: str
    failed_on: str
    error: str


Listener = Callable[[Event], Any]


def _name_of(listener: Listener) -> str:
    name = getattr(listener, "__qualname__", None) or type(listener).__qualname__
    return str(name)[:120]


class EventBus:
    """Fan-out of events to synchronous listeners and async subscribers.

    Publishing never blocks and never raises: a listener that raises is logged and
    reported as a ``bus.listener_failed`` event, and the publisher and every other
    listener carry on. A subscriber that falls more than ``maxsize`` events behind
    loses its oldest events rather than stalling the broadcast.
    """

    def __init__(self, maxsize: int = 1000) -> None:
        self._listeners: list[Listener] = []
        self._queues: set[asyncio.Queue[Event]] = set()
        self._maxsize = maxsize

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return remove

    def publish(self, event: Event) -> None:
        failures: list[ListenerFailed] = []
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception as exc:  # noqa: BLE001 - one listener never breaks the others
                failures.append(self._failure(listener, event, exc))
        for queue in self._queues:
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(event)
        if not isinstance(event, ListenerFailed):  # a failure on a report is logged only
            for failure in failures:
                self.publish(failure)

    @staticmethod
    def _failure(listener: Listener, event: Event, exc: Exception) -> ListenerFailed:
        name = _name_of(listener)
        error = redact(f"{type(exc).__name__}: {exc}")
        log.error("listener %s failed on %s: %s", name, event.kind, error, exc_info=exc)
        return ListenerFailed(listener=name, failed_on=event.kind, error=error[:500])

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue(self._maxsize)
        self._queues.add(queue)

        async def events() -> AsyncIterator[Event]:
            while True:
                yield await queue.get()

        try:
            yield events()
        finally:
            self._queues.discard(queue)
