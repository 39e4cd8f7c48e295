"""The stream's sound for a go-live: the audio desk on the broadcast's sound server,
the plan's music and alert sounds, and speech captions on the kiosk.

Captions follow the bus: the voice publishes ``SpeechStarted``/``SpeechFinished``
and ``Captions`` turns them into kiosk commands; the voice never calls the kiosk."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from studio.audio.desk import AudioDesk
from studio.audio.events import SpeechFinished, SpeechStarted
from studio.audio.speech import EspeakEngine, PiperEngine, SpeechEngine
from studio.broadcast.events import ProcessStarted
from studio.broadcast.sound_server import SoundServer
from studio.events import Event, EventBus
from studio.golive.plan import Plan
from studio.onair.client import KioskLink
from studio.onair.protocol import Caption

log = logging.getLogger(__name__)


class Captions:
    """Speech events on the bus → the kiosk's caption."""

    def __init__(self, kiosk: KioskLink) -> None:
        self.kiosk = kiosk

    def __call__(self, event: Event) -> None:
        if isinstance(event, SpeechStarted):
            self.kiosk.send(Caption(text=event.text[:500]))
        elif isinstance(event, SpeechFinished):
            self.kiosk.send(Caption(text=""))


def speech_engine(plan: Plan) -> SpeechEngine:
    if plan.voice_model is not None:
        return PiperEngine(plan.voice_model)
    return EspeakEngine(voice=plan.voice)


def audio_desk(
    plan: Plan, server: SoundServer, bus: EventBus, kiosk: KioskLink | None
) -> AudioDesk:
    sounds = {
        alert: path
        for alert, path in (("tip", plan.tip_sound), ("follow", plan.follow_sound))
        if path is not None
    }
    desk = AudioDesk(server, bus, engine=speech_engine(plan), alert_sounds=sounds)
    if plan.captions and kiosk is not None:
        bus.add_listener(Captions(kiosk))
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
