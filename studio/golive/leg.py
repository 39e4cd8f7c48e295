"""What every platform leg of the go-live sequence shares.

A leg is one platform's part of going live. The sequence drives every leg through
the same stages, and each leg fills in its platform's steps:

``prepare``        credentials, verification, payment, booking (may ask the operator)
``destination``    the RTMP destination for the one encode, fetched fresh (or None)
``refresh``        a fresh destination after a crash (the watchdog calls it)
``confirm_live``   wait until the platform reports the stream live
``on_air``         the loops while live (chat, thumbnails, status, frames); returns
                   when the leg's own time is over (slot ended, 2-hour limit)
``stop``           end the platform session and return its final stats; with
                   ``final=False`` (the leg or the broadcast failed) anything paid for
                   is left armed so going live again recovers it
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.broadcast.destinations import Destination
from studio.errors import StudioError
from studio.events import Event, EventBus
from studio.golive.events import Failed, Notice, StepChanged
from studio.golive.operator import Operator
from studio.journal import Journal, JournalWriter
from studio.onair.client import KioskLink

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[Any]]
Thumbnailer = Callable[[], Awaitable[bytes]]
KeepThumbnail = Callable[[bytes], Path]
"""Keeps an uploaded thumbnail in the session's folder; returns where."""


@dataclass
class Timing:
    """Every interval of the sequence, in seconds; tests shorten them."""

    status_poll: float = 3.0  # retake step 5: poll every 3 s ...
    live_timeout: float = 30.0  # ... until is_live (timeout 30 s)
    thumbnail_every: float = 180.0  # retake: refresh every 2-5 minutes
    viewers_every: float = 15.0
    chat_active: tuple[float, float] = (2.0, 3.0)
    chat_quiet: tuple[float, float] = (5.0, 10.0)
    basefm_status_every: float = 10.0
    basefm_live_timeout: float = 60.0
    frame_every: float = 1.0  # ClawCast: ~1 frame a second
    stop_timeout: float = 15.0


@dataclass
class LegContext:
    """What a leg may use: the bus, the operator, the journal, the kiosk, the display."""

    bus: EventBus
    operator: Operator
    timing: Timing = field(default_factory=Timing)
    journal: JournalWriter | None = None
    session_id: int | None = None
    kiosk: KioskLink | None = None
    thumbnail: Thumbnailer | None = None
    keep_thumbnail: KeepThumbnail | None = None
    sleep: Sleep = asyncio.sleep
    clock: Callable[[], float] = time.time
    planned_end: float | None = None
    """When the broadcast's planned duration is over (the event loop's clock), once live."""
    join: Callable[[Leg], Awaitable[None]] | None = None
    """Adds a leg that could not start with the others (baseFM's cooldown) to the
    running encode once it can (set by the sequence)."""

    def broadcast_left(self) -> float | None:
        """Seconds left of the broadcast's planned duration (None: until stopped)."""
        if self.planned_end is None:
            return None
        return max(0.0, self.planned_end - asyncio.get_running_loop().time())

    def publish(self, event: Event) -> None:
        """Put ``event`` on the bus: the kiosk, the journal and the control API listen there."""
        self.bus.publish(event)

    def protect(self, *secrets: Any) -> None:
        """Teach the kiosk to mask these exact values on air (only salted hashes go)."""
        if self.kiosk is not None:
            self.kiosk.protect(secrets)

    def record(self, write: Callable[[Journal, int], Any]) -> None:
        """Queue a journal write for this session (the journal's own listener uses it)."""
        if self.journal is not None and self.session_id is not None:
            sid = self.session_id
            self.journal.submit(lambda j: write(j, sid))


@dataclass
class Attempt:
    """How an ``attempt`` went: ``ok`` once its body ran to the end."""

    ok: bool = False
    error: str | None = None


class LegFinished(Exception):
    """Raised inside ``on_air`` when the platform ended the leg (not an error)."""


class Leg:
    platform = "leg"
    #: whether this leg pushes RTMP (retake, baseFM) or talks HTTP only (ClawCast)
    pushes_rtmp = True

    def __init__(self, ctx: LegContext) -> None:
        self.ctx = ctx
        self.live = False

    @contextlib.asynccontextmanager
    async def step(self, name: str, detail: str | None = None) -> AsyncIterator[None]:
        """Publish the step's start, then its end or its failure."""
        self.ctx.publish(StepChanged(platform=self.platform, step=name, detail=detail))
        try:
            yield
        except StudioError as exc:
            self.ctx.publish(
                StepChanged(platform=self.platform, step=name, state="failed", detail=exc.message)
            )
            self.ctx.publish(Failed(platform=self.platform, error=exc.message, fix=exc.fix))
            raise
        self.ctx.publish(StepChanged(platform=self.platform, step=name, state="done"))

    @contextlib.asynccontextmanager
    async def attempt(
        self, name: str, detail: str | None = None, *, then: str = "it is tried again later"
    ) -> AsyncIterator[Attempt]:
        """A step whose failure is a notice, not the end of the leg: the error is
        reported to the operator (with its fix and ``then``, what happens next) and
        swallowed; ``Attempt.ok`` says whether the body finished."""
        result = Attempt()
        self.ctx.publish(StepChanged(platform=self.platform, step=name, detail=detail))
        try:
            yield result
        except Exception as exc:  # noqa: BLE001 - a failed attempt never ends the leg
            if isinstance(exc, StudioError):
                error = exc.message + (f" Fix: {exc.fix}" if exc.fix else "")
            else:
                log.error("%s %s failed", self.platform, name, exc_info=exc)
                error = f"unexpected error: {type(exc).__name__}: {exc}"
            result.error = error
            self.ctx.publish(
                StepChanged(platform=self.platform, step=name, state="failed", detail=error)
            )
            self.ctx.publish(
                Notice(platform=self.platform, level="warning", text=f"{name}: {error}; {then}")
            )
            return
        result.ok = True
        self.ctx.publish(StepChanged(platform=self.platform, step=name, state="done"))

    async def prepare(self) -> None:
        return None

    async def destination(self) -> Destination | None:
        return None

    async def refresh(self) -> Destination | None:
        return await self.destination()

    async def confirm_live(self) -> None:
        return None

    async def on_air(self) -> None:
        await asyncio.Event().wait()

    async def stop(self, *, final: bool = True) -> dict[str, Any]:
        return {}
