"""The broadcast pipeline as one object: display → terminal → encoder, supervised.

``start`` brings up Xvfb, the on-air xterm running the kiosk, and the one FFmpeg
encode to every destination. A watchdog task then recovers from failures without
the operator:

* a destination dropped by the tee is retried on its own by a relay (the encode
  and the other destinations go on);
* FFmpeg dies → wait (OBS backoff), await ``refresh_destinations`` for fresh URLs,
  start the encode again with them (every destination rejoins the tee);
* the terminal dies → start it again;
* Xvfb dies → display, then terminal, then encoder (with fresh destinations).

``reconnect_now`` cuts the current wait short (the operator's "reconnect" key).

Destinations may come and go while on air without a break for the others:
``add_destination`` sends a late joiner (baseFM after its cooldown) through its own
relay from the feed, and ``remove_destination`` stops one its platform has ended.
Only ``restart_encoder`` (new keys for every destination) starts the encode again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from studio.backoff import OBS_RECONNECT, Backoff
from studio.broadcast.destinations import Destination, DestinationState
from studio.broadcast.display import FRAME, VirtualDisplay
from studio.broadcast.encoder import Encoder
from studio.broadcast.events import (
    AudioStateChanged,
    DestinationStateChanged,
    EncoderStats,
    PipelineRecovered,
    PipelineStateChanged,
    ProcessExited,
    ProcessStarted,
    RecoveryScheduled,
)
from studio.broadcast.feed_pump import FeedPump
from studio.broadcast.ffmpeg_command import DEFAULT_X264, SILENCE, pulse_input
from studio.broadcast.processes import ManagedProcess
from studio.broadcast.relay import DestinationRelay, RefreshOne
from studio.broadcast.sound_server import SoundServer
from studio.broadcast.terminal import DEFAULT_GRID, ON_AIR_GRIDS, OnAirGrid, Terminal
from studio.broadcast.thumbnails import thumbnail_jpeg
from studio.broadcast.watchdog import RetryTimer
from studio.errors import StudioError
from studio.events import EventBus

log = logging.getLogger(__name__)

RefreshAll = Callable[[], Awaitable[Sequence[Destination]]]


class BroadcastPipeline:
    def __init__(
        self,
        destinations: Sequence[Destination],
        kiosk_command: Sequence[str],
        *,
        bus: EventBus | None = None,
        refresh_destinations: RefreshAll | None = None,
        refresh_destination: RefreshOne | None = None,
        backoff: Backoff = OBS_RECONNECT,
        relay_backoff: Backoff = OBS_RECONNECT,
        terminal_env: Mapping[str, str] | None = None,
        frame: tuple[int, int] = FRAME,
        on_air_grid: OnAirGrid = ON_AIR_GRIDS[DEFAULT_GRID],
        ffmpeg: str = "ffmpeg",
        sound: bool = True,
        x264: str = DEFAULT_X264,
    ) -> None:
        if not destinations:
            raise StudioError(
                "There is nowhere to broadcast to: no destination was given.",
                fix="Add retake.tv, baseFM or an RTMP URL before going live.",
            )
        names = [d.name for d in destinations]
        if len(set(names)) != len(names):
            raise StudioError(
                f"Two destinations share a name ({', '.join(names)}).",
                fix="Give every destination its own name.",
            )
        self.destinations = list(destinations)
        self.kiosk_command = list(kiosk_command)
        self.bus = bus or EventBus()
        self.refresh_destinations = refresh_destinations
        self.refresh_destination = refresh_destination
        self.relay_backoff = relay_backoff
        self.terminal_env = dict(terminal_env or {})
        self.frame = frame
        self.on_air_grid = on_air_grid
        self.ffmpeg = ffmpeg
        self.x264 = x264
        self.timer = RetryTimer(backoff)
        self.display = VirtualDisplay(*frame)
        self.sound = SoundServer() if sound else None
        self.silent_because: str | None = None if sound else "the studio was asked for no sound"
        self.terminal: Terminal | None = None
        self.encoder: Encoder | None = None
        self.relays: dict[str, DestinationRelay] = {}
        self.feed = FeedPump()
        """One MPEG-TS copy of the stream for whichever relays run."""
        self.recoveries = 0
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = False
        self._states: dict[str, DestinationState] = {}
        self._changed = asyncio.Event()
        self._unlisten = self.bus.add_listener(self._track)

    # -- what the rest of the studio reads ------------------------------------------
    @property
    def display_name(self) -> str | None:
        return self.display.name

    @property
    def grid(self) -> tuple[int, int] | None:
        return self.terminal.grid if self.terminal else None

    @property
    def stats(self) -> EncoderStats | None:
        return self.encoder.stats if self.encoder else None

    @property
    def destination_states(self) -> dict[str, DestinationState]:
        return dict(self._states)

    def _track(self, event: object) -> None:
        if isinstance(event, DestinationStateChanged):
            self._states[event.destination] = DestinationState(event.state)

    async def wait_live(self, names: Sequence[str] | None = None, limit: float = 15.0) -> bool:
        """Until every destination in ``names`` (default: all) is live; False after ``limit`` s."""
        wanted = list(names) if names is not None else [d.name for d in self.destinations]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while loop.time() < deadline:
            if all(self._states.get(name) == DestinationState.LIVE for name in wanted):
                return True
            await asyncio.sleep(0.1)
        return False

    async def thumbnail_jpeg(self, max_width: int = 1280) -> bytes:
        """A JPEG of what is on air now (runs the capture in a worker thread)."""
        if not self.display.name:
            raise StudioError(
                "There is no picture: the display is not running.", fix="Start the broadcast first."
            )
        return await asyncio.to_thread(thumbnail_jpeg, self.display.name, max_width)

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        """Display → terminal → encoder, then the watchdog. Raises if any fails."""
        self._stopping = False
        try:
            await self._start_sound()
            await self._start_display()
            await self._start_terminal()
            await self._start_encoder(refresh=False)
        except BaseException:
            await self._stop_all()
            raise
        self._publish_state("live")
        self._supervisor = asyncio.create_task(self._supervise(), name="broadcast-watchdog")

    async def stop(self) -> None:
        """Stop everything, newest first. Bounded; safe to call twice."""
        self._stopping = True
        task, self._supervisor = self._supervisor, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._stop_all()
        self._publish_state("stopped")

    async def __aenter__(self) -> BroadcastPipeline:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def reconnect_now(self) -> None:
        """Skip the current wait: of the watchdog and of every destination's relay."""
        self.timer.reconnect_now()
        for relay in self.relays.values():
            relay.reconnect_now()

    async def restart_encoder(self, destinations: Sequence[Destination] | None = None) -> None:
        """Start the encode again now, with ``destinations`` if given (e.g. new keys).

        Every destination drops and reconnects: to add or remove one while on air, use
        ``add_destination`` or ``remove_destination``, which leave the others alone."""
        if destinations is not None:
            self.destinations = list(destinations)
        await self._stop_encoder()
        await self._start_encoder(refresh=False)

    async def add_destination(self, destination: Destination) -> None:
        """``destination`` joins the broadcast without a break for the others.

        While the encode runs, it goes out through its own relay from the feed, at once
        (``connecting``, reason ``relay.JOINING``, then ``live``; never ``failed`` unless
        it really fails, then retried like any relayed destination). The encode and the
        other destinations are not touched. It is one of ``destinations`` from now on,
        so an encode started again (recovery, new keys) carries it in its tee like the
        others. Before ``start`` (or while the encode is down) it only joins the list."""
        if any(d.name == destination.name for d in self.destinations):
            raise StudioError(
                f"{destination.name} is already a destination of this broadcast.",
                fix="Give every destination its own name.",
            )
        self.destinations.append(destination)
        if self._stopping or self.encoder is None or not self.encoder.running:
            return  # the next encode carries it in its tee
        self._relay(destination, joining=True)

    async def remove_destination(self, name: str, reason: str = "") -> bool:
        """Stop sending to ``name`` (its platform ended it); True if the encode restarted.

        A destination served by a relay (it joined late, or the tee dropped it, as
        happens when a platform closes the ingest itself) is ended by stopping that
        relay alone. One the encode's tee still writes to cannot be taken out of a
        running tee (FFmpeg has no way to), and a platform that ended it must not go on
        receiving the stream: the encode restarts without it (with no destination left,
        it feeds the relays' pipe alone), so the others reconnect once."""
        if all(d.name != name for d in self.destinations):
            return False
        self.destinations = [d for d in self.destinations if d.name != name]
        relay = self.relays.pop(name, None)
        if relay is not None:
            await relay.stop()
        encoder = self.encoder
        in_tee = (
            encoder is not None
            and encoder.running
            and any(d.name == name for d in encoder.destinations)
            and encoder.states.get(name) != DestinationState.FAILED
        )
        restart = in_tee and not self._stopping
        if restart:
            await self.restart_encoder()
        if self._states.get(name) != DestinationState.STOPPED:
            self.bus.publish(
                DestinationStateChanged(
                    destination=name, state=DestinationState.STOPPED.value, reason=reason
                )
            )
        return restart

    # -- components ------------------------------------------------------------------
    async def _start_sound(self) -> None:
        """The sound server, or a silent track and the reason: never a reason to stay off air."""
        if self.sound is None:
            return
        try:
            await self.sound.start(ffmpeg=self.ffmpeg)
        except Exception as exc:  # noqa: BLE001 - any failure means: go on silent
            self.silent_because = str(exc)
            log.warning("no sound server, the stream goes on silent: %s", exc)
            self.bus.publish(AudioStateChanged(state="silent", reason=self.silent_because))
            return
        self.silent_because = None
        self._changed.set()
        self.bus.publish(
            ProcessStarted(
                process="pulseaudio", pid=self.sound.process.pid if self.sound.process else None
            )
        )
        self.bus.publish(AudioStateChanged(state="on"))

    def _audio_input(self) -> list[str]:
        if self.sound is not None and self.sound.running:
            return pulse_input(self.sound.server, self.sound.monitor)
        return list(SILENCE)

    async def _start_display(self) -> None:
        await self.display.start()
        self._changed.set()
        self.bus.publish(
            ProcessStarted(
                process="Xvfb", pid=self.display.process.pid if self.display.process else None
            )
        )

    async def _start_terminal(self) -> None:
        assert self.display.name
        self.terminal = Terminal(
            self.display.name,
            self.kiosk_command,
            frame=self.frame,
            on_air=self.on_air_grid,
            env=self.terminal_env,
        )
        await self.terminal.start()
        self._changed.set()
        self.bus.publish(
            ProcessStarted(
                process="xterm", pid=self.terminal.process.pid if self.terminal.process else None
            )
        )

    async def _start_encoder(self, refresh: bool) -> None:
        assert self.display.name
        if refresh and self.refresh_destinations is not None:
            fresh = list(await self.refresh_destinations())
            if fresh:
                self.destinations = fresh
        self.encoder = Encoder(
            self.display.name,
            self.destinations,
            self.bus,
            feeds=[self.feed.open()],
            on_destination_failed=self._destination_failed,
            audio=self._audio_input(),
            ffmpeg=self.ffmpeg,
            x264=self.x264,
        )
        try:
            await self.encoder.start()
        finally:
            self.feed.encoder_started()
        self._changed.set()
        self.bus.publish(ProcessStarted(process="ffmpeg", pid=self.encoder.process.pid))
        carried = {d.name for d in self.encoder.destinations}
        for late in self.destinations:  # joined while this encode was starting
            if late.name not in carried and late.name not in self.relays:
                self._relay(late, joining=True)

    def _destination_failed(self, destination: Destination, reason: str) -> None:
        if self._stopping or destination.name in self.relays:
            return
        if all(d.name != destination.name for d in self.destinations):
            return  # removed on purpose: its platform ended it
        self._relay(destination, joining=False)

    def _relay(self, destination: Destination, *, joining: bool) -> None:
        relay = DestinationRelay(
            destination,
            self.feed.tap(destination.name),
            self.bus,
            refresh=self.refresh_destination,
            backoff=self.relay_backoff,
            ffmpeg=self.ffmpeg,
            joining=joining,
        )
        self.relays[destination.name] = relay
        relay.start()

    async def _stop_relays(self) -> None:
        relays, self.relays = self.relays, {}
        for relay in relays.values():
            await relay.stop()

    async def _stop_encoder(self) -> None:
        await self._stop_relays()
        if self.encoder is not None:
            await self.encoder.stop()

    async def _stop_picture(self) -> None:
        await self._stop_encoder()
        self.feed.close()
        if self.terminal is not None:
            await self.terminal.stop()
        await self.display.stop()

    async def _stop_all(self) -> None:
        await self._stop_picture()
        if self.sound is not None:
            await self.sound.stop()

    def _publish_state(self, state: str) -> None:
        self.bus.publish(
            PipelineStateChanged(state=state, display=self.display.name, grid=self.grid)
        )

    # -- the watchdog ----------------------------------------------------------------
    def _watched(self) -> dict[str, ManagedProcess]:
        """The processes the watchdog waits on: running ones not being stopped on purpose."""
        candidates = {
            "Xvfb": self.display.process,
            "xterm": self.terminal.process if self.terminal else None,
            "ffmpeg": self.encoder.process if self.encoder else None,
            "pulseaudio": self.sound.process
            if self.sound and self.silent_because is None
            else None,
        }
        return {name: p for name, p in candidates.items() if p is not None and not p.stopping}

    async def _supervise(self) -> None:
        while not self._stopping:
            self._changed.clear()
            watched = self._watched()
            tasks = {asyncio.ensure_future(p.wait()): name for name, p in watched.items()}
            changed = asyncio.ensure_future(self._changed.wait())
            try:
                done, _ = await asyncio.wait({*tasks, changed}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (*tasks, changed):
                    if not task.done():
                        task.cancel()
            crashed = [t for t in done if t in tasks and not watched[tasks[t]].stopping]
            if self._stopping or not crashed:
                continue
            for task in crashed:
                self._report_exit(tasks[task], task)
            await self._recover(", ".join(sorted(tasks[t] for t in crashed)) + " stopped")

    def _report_exit(self, name: str, task: asyncio.Future[int]) -> None:
        code = None if task.cancelled() or task.exception() else task.result()
        tail: list[str] = []
        if name == "ffmpeg" and self.encoder is not None:
            tail = self.encoder.process.stderr_tail[-3:]
            for destination in self.encoder.destinations:
                self.bus.publish(
                    DestinationStateChanged(
                        destination=destination.name, state="failed", reason="the encoder stopped"
                    )
                )
        elif name == "Xvfb" and self.display.process is not None:
            tail = self.display.process.stderr_tail[-3:]
        log.warning("%s exited with code %s", name, code)
        self.bus.publish(ProcessExited(process=name, returncode=code, last_lines=tail))

    async def _recover(self, reason: str) -> None:
        """Attempts until the pipeline runs again (or it is stopped)."""
        while not self._stopping:
            delay = self.timer.next_delay()
            attempt = self.timer.attempt
            self.bus.publish(
                RecoveryScheduled(reason=reason, attempt=attempt, delay=round(delay, 2))
            )
            await self.timer.wait(delay)
            try:
                restarted = await self._restart_what_died()
            except Exception as exc:  # noqa: BLE001 - any failure means: try again later
                log.warning("recovery attempt %s failed: %s", attempt, exc)
                reason = f"recovery failed: {exc}"
                continue
            self.recoveries += 1
            self.timer.reset()
            self.bus.publish(PipelineRecovered(reason=reason, attempt=attempt, restarted=restarted))
            return

    async def _restart_what_died(self) -> list[str]:
        restarted: list[str] = []
        if not self.display.running:
            await self._stop_picture()
            await self._start_display()
            restarted.append("Xvfb")
        if self.sound is not None and self.silent_because is None and not self.sound.running:
            await self._start_sound()
            restarted.append("pulseaudio")  # the encoder follows: its input was the old server
        if self.terminal is None or not self.terminal.running:
            if self.terminal is not None:
                await self.terminal.stop()
            await self._start_terminal()
            restarted.append("xterm")
        encoder_display = self.encoder.display if self.encoder else None
        if (
            self.encoder is None
            or not self.encoder.running
            or encoder_display != self.display.name
            or self.encoder.audio != self._audio_input()
            or "pulseaudio" in restarted
        ):
            await self._stop_encoder()
            await self._start_encoder(refresh=True)
            restarted.append("ffmpeg")
        return restarted
