"""Short sounds tied to alerts: a tip or a follow on the bus (``AudienceAlert``, once
per tip however it arrived) plays its configured file. A sound still playing is not
started again on top of itself: a burst of follows is one bell, not a din."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path

from studio.audio.events import SoundPlayed
from studio.audio.playback import Playback
from studio.events import Event, EventBus
from studio.golive.events import AudienceAlert

ALERTS = ("tip", "follow")
SOUND_SECONDS = 10.0
"""An alert sound is cut after this long: it is a jingle, not a track."""


def alert_of(event: Event) -> str | None:
    if isinstance(event, AudienceAlert) and event.alert in ALERTS:
        return event.alert
    return None


class AlertSounds:
    def __init__(self, playback: Playback, bus: EventBus, sounds: Mapping[str, Path]) -> None:
        unknown = set(sounds) - set(ALERTS)
        if unknown:
            raise ValueError(f"alert sounds exist only for {', '.join(ALERTS)}")
        self.playback = playback
        self.bus = bus
        self.sounds = dict(sounds)
        self._playing: dict[str, asyncio.Task[int]] = {}
        self._unlisten: Callable[[], None] | None = None

    def attach(self) -> None:
        if self._unlisten is None:
            self._unlisten = self.bus.add_listener(self._on_event)

    def _on_event(self, event: Event) -> None:
        alert = alert_of(event)
        if alert is None or alert not in self.sounds:
            return
        running = self._playing.get(alert)
        if running is not None and not running.done():
            return
        sound = self.sounds[alert]
        self._playing[alert] = asyncio.get_running_loop().create_task(
            self.playback.play(sound, "sound", title=alert, limit=SOUND_SECONDS)
        )
        self.bus.publish(SoundPlayed(alert=alert, title=sound.stem[:120]))

    async def stop(self) -> None:
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        for task in self._playing.values():
            task.cancel()
        for task in self._playing.values():
            await asyncio.gather(task, return_exceptions=True)
        self._playing = {}
