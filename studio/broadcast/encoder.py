"""The one FFmpeg encode: capture, encode, tee to every destination.

Progress blocks become ``EncoderStats`` events; the tee's "Slave muxer #i failed"
lines mark destination ``i`` failed (the encode goes on without it). A destination
is reported live once the encode has run for ``LIVE_AFTER`` seconds without its
slave failing (FFmpeg prints no per-output acknowledgement of an RTMP publish).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence

from studio.broadcast.destinations import Destination, DestinationState
from studio.broadcast.events import DestinationStateChanged, EncoderStats, ProcessOutput
from studio.broadcast.ffmpeg_command import (
    DEFAULT_X264,
    IO_TIMEOUT_US,
    SILENCE,
    FeedPipe,
    encoder_argv,
)
from studio.broadcast.processes import ManagedProcess
from studio.broadcast.progress import ProgressParser
from studio.events import EventBus

log = logging.getLogger(__name__)

LIVE_AFTER = IO_TIMEOUT_US / 1_000_000 + 1.0
"""A tee destination that has not failed by then got past its RTMP handshake (which
would have timed out) and is taking data."""
_SLAVE_FAILED = re.compile(r"Slave muxer #(\d+) failed:?\s*(.*?)(?:, continuing with.*)?$")
_NOTEWORTHY = re.compile(r"error|failed|refused|timed out|denied|broken pipe", re.I)

SlaveFailed = Callable[[Destination, str], None]


class Encoder:
    def __init__(
        self,
        display: str,
        destinations: Sequence[Destination],
        bus: EventBus,
        *,
        feeds: Sequence[FeedPipe] = (),
        on_destination_failed: SlaveFailed | None = None,
        audio: Sequence[str] = SILENCE,
        ffmpeg: str = "ffmpeg",
        name: str = "ffmpeg",
        x264: str = DEFAULT_X264,
    ) -> None:
        self.display = display
        self.audio = list(audio)
        self.destinations = list(destinations)
        self.feeds = list(feeds)
        self.bus = bus
        self.name = name
        self._on_failed = on_destination_failed
        self.states: dict[str, DestinationState] = {}
        self.stats: EncoderStats | None = None
        self._started_at = 0.0
        self._parser = ProgressParser(self._on_stats, source=name)
        self.process = ManagedProcess(
            name,
            encoder_argv(
                display, self.destinations, self.feeds, audio=self.audio, ffmpeg=ffmpeg, x264=x264
            ),
            on_stdout=self._parser.feed,
            on_stderr=self._on_stderr,
            pass_fds=[feed.fd for feed in self.feeds],
        )

    @property
    def running(self) -> bool:
        return self.process.running

    def _set_state(
        self, destination: Destination, state: DestinationState, reason: str = ""
    ) -> None:
        if self.states.get(destination.name) == state:
            return
        self.states[destination.name] = state
        self.bus.publish(
            DestinationStateChanged(destination=destination.name, state=state.value, reason=reason)
        )

    async def start(self) -> None:
        self.states = {}
        self.stats = None
        self._started_at = time.monotonic()
        await self.process.start()
        for destination in self.destinations:
            self._set_state(destination, DestinationState.CONNECTING)

    def _on_stats(self, stats: EncoderStats) -> None:
        self.stats = stats
        self.bus.publish(stats)
        if stats.frame > 0 and time.monotonic() - self._started_at >= LIVE_AFTER:
            for destination in self.destinations:
                if self.states.get(destination.name) == DestinationState.CONNECTING:
                    self._set_state(destination, DestinationState.LIVE)

    def _on_stderr(self, line: str) -> None:
        log.debug("%s: %s", self.name, line)
        match = _SLAVE_FAILED.search(line)
        if match:
            index, reason = int(match.group(1)), match.group(2).strip()
            if index < len(self.destinations):
                destination = self.destinations[index]
                self._set_state(destination, DestinationState.FAILED, reason)
                if self._on_failed:
                    self._on_failed(destination, reason)
        if match or _NOTEWORTHY.search(line):
            self.bus.publish(ProcessOutput(process=self.name, line=line))

    async def wait(self) -> int:
        return await self.process.wait()

    async def stop(self) -> None:
        await self.process.stop()
        for destination in self.destinations:
            if self.states.get(destination.name) in (
                DestinationState.LIVE,
                DestinationState.CONNECTING,
            ):
                self._set_state(destination, DestinationState.STOPPED)
