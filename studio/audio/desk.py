"""The audio desk: everything the operator can do with the stream's sound, in one place.

It speaks, plays music and alert sounds into the broadcast's sound server and sets
volumes and mute. The control API, the console and headless stdin call these
methods; none of them restarts the encoder.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

from studio.audio.alert_sounds import AlertSounds
from studio.audio.music import Music, playlist
from studio.audio.playback import Mixer, Playback
from studio.audio.speech import EspeakEngine, SpeechEngine, Voice
from studio.broadcast.events import ProcessStarted
from studio.broadcast.sound_server import SoundServer
from studio.errors import StudioError, ValidationFailed
from studio.events import Event, EventBus


class AudioDesk:
    def __init__(
        self,
        server: SoundServer,
        bus: EventBus,
        *,
        engine: SpeechEngine | None = None,
        alert_sounds: Mapping[str, Path] | None = None,
    ) -> None:
        self.server = server
        self.bus = bus
        self.mixer = Mixer(server, bus)
        self.playback = Playback(server, self.mixer)
        self.voice = Voice(engine or EspeakEngine(), self.playback, bus)
        self.music: Music | None = None
        self.alert_sounds = AlertSounds(self.playback, bus, alert_sounds or {})
        self.alert_sounds.attach()
        self._tasks: set[asyncio.Task[None]] = set()
        self._unlisten = bus.add_listener(self._on_event)

    def _on_event(self, event: Event) -> None:
        # a restarted sound server starts at 100 % and unmuted: give it the mixer's state
        if isinstance(event, ProcessStarted) and event.process == "pulseaudio":
            task = asyncio.get_running_loop().create_task(self.mixer.apply())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _require_sound(self) -> None:
        if not self.server.running:
            raise StudioError(
                "Nothing can be heard now: the stream has no sound server (its track is silent).",
                fix="Run `studio doctor` to see why; the broadcast itself goes on.",
            )

    def say(self, text: str) -> int:
        """Queue a line to speak; its utterance number. Raises naming the rule broken."""
        utterance = self.voice.check(text)
        self._require_sound()
        return self.voice.say(utterance)

    async def play_music(self, path: Path, *, loop: bool = False) -> int:
        """Play a file or a folder's audio files (replacing what plays); the track count."""
        tracks, problems = playlist(path)
        if problems:
            raise ValidationFailed(problems, what="music")
        self._require_sound()
        await self.stop_music()
        self.music = Music(self.playback, self.bus, tracks, loop=loop)
        self.music.start()
        return len(tracks)

    def skip_track(self) -> None:
        if self.music is not None:
            self.music.skip()

    async def stop_music(self) -> None:
        if self.music is not None:
            await self.music.stop()
            self.music = None

    async def set_volume(self, target: str, percent: int) -> None:
        await self.mixer.set_volume(target, percent)

    async def set_muted(self, muted: bool) -> None:
        await self.mixer.set_muted(muted)

    async def close(self) -> None:
        self._unlisten()
        await self.voice.stop()
        await self.stop_music()
        await self.alert_sounds.stop()
