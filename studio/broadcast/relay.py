"""One destination served on its own, without touching the encode.

A ``DestinationRelay`` copies the encoder's private feed (one pipe for every relay,
``feed_pump.py``) to its RTMP URL with a small ``ffmpeg -c copy`` process, retrying
with OBS-style backoff until it stays up. It serves two kinds of destination:

* one the tee dropped (it failed): the relay waits first, then retries. ``refresh``
  (if given) is awaited before each attempt, so a platform that hands out fresh keys
  (retake.tv: never reuse an old key) gets a new URL each time;
* one that joins while the encode runs (``joining``: baseFM after its cooldown): the
  first attempt goes out at once with the URL just handed out, reported as
  ``connecting`` (reason ``JOINING``), never as a failure; only a later drop is
  retried as above.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable

from studio.backoff import OBS_RECONNECT, Backoff
from studio.broadcast.destinations import Destination, DestinationState
from studio.broadcast.events import DestinationStateChanged, EncoderStats, ProcessStarted
from studio.broadcast.feed_pump import FeedTap
from studio.broadcast.ffmpeg_command import relay_argv
from studio.broadcast.processes import ManagedProcess
from studio.broadcast.progress import ProgressParser
from studio.broadcast.watchdog import RetryTimer
from studio.events import EventBus

log = logging.getLogger(__name__)

RefreshOne = Callable[[Destination], Awaitable[Destination]]

LIVE_AFTER = 2.0
"""A relay reports progress only once its output is open, so 2 s of frames is live."""
JOINING = "joining the broadcast while on air"
"""The reason a joining destination's first ``connecting`` gives."""


class DestinationRelay:
    def __init__(
        self,
        destination: Destination,
        feed: FeedTap,
        bus: EventBus,
        *,
        refresh: RefreshOne | None = None,
        backoff: Backoff = OBS_RECONNECT,
        ffmpeg: str = "ffmpeg",
        joining: bool = False,
    ) -> None:
        self.destination = destination
        self.joining = joining
        self.feed = feed
        self.bus = bus
        self.refresh = refresh
        self.timer = RetryTimer(backoff)
        self.ffmpeg = ffmpeg
        self.state = DestinationState.STOPPED if joining else DestinationState.FAILED
        self.attempts = 0
        """Retries so far (a joining destination's first attempt is not one)."""
        self.process: ManagedProcess | None = None
        self._task: asyncio.Task[None] | None = None
        self._started_at = 0.0

    @property
    def name(self) -> str:
        return self.destination.name

    def _set_state(
        self, state: DestinationState, reason: str = "", retry_in: float | None = None
    ) -> None:
        if state == self.state and retry_in is None:
            return
        self.state = state
        self.bus.publish(
            DestinationStateChanged(
                destination=self.name,
                state=state.value,
                reason=reason,
                attempt=self.attempts,
                retry_in=retry_in,
            )
        )

    def start(self) -> None:
        if self.joining and self.attempts == 0:
            self._set_state(DestinationState.CONNECTING, JOINING)  # at once, for every view
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=f"relay:{self.name}")

    def reconnect_now(self) -> None:
        self.timer.reconnect_now()

    def _on_stats(self, stats: EncoderStats) -> None:
        self.bus.publish(stats)
        if stats.frame > 0 and time.monotonic() - self._started_at >= LIVE_AFTER:
            if self.state != DestinationState.LIVE:
                self._set_state(DestinationState.LIVE)
                self.timer.reset()

    async def _run(self) -> None:
        joining = self.joining
        while True:
            if not joining:
                delay = self.timer.next_delay()
                self.attempts += 1
                self._set_state(DestinationState.RETRYING, retry_in=round(delay, 2))
                await self.timer.wait(delay)
                if self.refresh is not None:
                    try:
                        self.destination = await self.refresh(self.destination)
                    except Exception as exc:
                        self._set_state(DestinationState.FAILED, f"could not refresh: {exc}")
                        continue
            self._started_at = time.monotonic()
            parser = ProgressParser(self._on_stats, source=f"relay:{self.name}")
            feed = self.feed.attach()
            self.process = ManagedProcess(
                f"relay:{self.name}",
                relay_argv(self.destination, ffmpeg=self.ffmpeg),
                on_stdout=parser.feed,
                on_stderr=lambda line: log.debug("relay %s: %s", self.name, line),
                stdin=feed,
            )
            self._set_state(DestinationState.CONNECTING, JOINING if joining else "")
            joining = False
            try:
                try:
                    await self.process.start()
                finally:
                    os.close(feed)
                self.bus.publish(ProcessStarted(process=self.process.name, pid=self.process.pid))
                code = await self.process.wait()
            finally:
                self.feed.detach()
                await self.process.stop()
            reason = (
                self.process.stderr_tail[-1] if self.process.stderr_tail else f"exit code {code}"
            )
            self._set_state(DestinationState.FAILED, reason)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        if self.process is not None:
            await self.process.stop()
        if self.state != DestinationState.STOPPED:
            self.state = DestinationState.STOPPED
