"""Typed events the core emits, and the bus that carries them to their watchers.

The go-live sequence, the encoder and the platform feeds publish events here; the
headless CLI prints each as one JSON line, the journal stores them, and the console
shows them live. Events never carry a secret: ``to_json`` passes through redaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from studio.redaction import redact


class Event(BaseModel):
    """Base of every core event. Subclasses set ``kind`` to a dotted name."""

    model_config = ConfigDict(frozen=True)

    kind: ClassVar[str] = "event"
    at: float = Field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, **self.model_dump(mode="json")}

    def to_json(self) -> str:
        import json

        return redact(json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False))


Listener = Callable[[Event], Any]


class EventBus:
    """Fan-out of events to synchronous listeners and async subscribers.

    Publishing never blocks: a subscriber that falls more than ``maxsize`` events
    behind loses its oldest events rather than stalling the broadcast.
    """

    def __init__(self, maxsize: int = 1000) -> None:
        self._listeners: list[Listener] = []
        self._queues: set[asyncio.Queue[Event]] = set()
        self._maxsize = maxsize

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def publish(self, event: Event) -> None:
        for listener in list(self._listeners):
            listener(event)
        for queue in self._queues:
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(event)

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
