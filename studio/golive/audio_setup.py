"""The stream's sound for a go-live: the audio desk on the broadcast's sound server,
with the plan's voice, music and alert sounds.

Captions follow the bus: the voice publishes ``SpeechStarted``/``SpeechFinished``
and the kiosk feed (``kiosk_feed.py``) turns them into captions."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from studio.audio.desk import AudioDesk
from studio.audio.speech import EspeakEngine, PiperEngine, SpeechEngine
from studio.broadcast.events import ProcessStarted
from studio.broadcast.sound_server import SoundServer
from studio.events import Event, EventBus
from studio.golive.plan import Plan

log = logging.getLogger(__name__)


def speech_engine(plan: Plan) -> SpeechEngine:
    if plan.voice_model is not None:
        return PiperEngine(plan.voice_model)
    return EspeakEngine(voice=plan.voice)


def audio_desk(plan: Plan, server: SoundServer, bus: EventBus) -> AudioDesk:
    sounds = {
        alert: path
        for alert, path in (("tip", plan.tip_sound), ("follow", plan.follow_sound))
        if path is not None
    }
    desk = AudioDesk(server, bus, engine=speech_engine(plan), alert_sounds=sounds)
    if plan.music is not None:
        bus.add_listener(_MusicStarter(desk, plan.music, plan.loop))
    return desk


class _MusicStarter:
    """Starts the set when the encoder starts, and again after the sound server came back."""

    def __init__(self, desk: AudioDesk, music: Path, loop: bool) -> None:
        self.desk, self.music, self.loop = desk, music, loop
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self, event: Event) -> None:
        if not isinstance(event, ProcessStarted) or event.process != "ffmpeg":
            return
        if self.desk.music is not None and self.desk.music.playing:
            return
        task = asyncio.get_running_loop().create_task(self._start())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _start(self) -> None:
        try:
            await self.desk.play_music(self.music, loop=self.loop)
        except Exception as exc:  # noqa: BLE001 - no music is a notice, never off air
            log.warning("the music did not start: %s", exc)
