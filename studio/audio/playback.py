"""Playing one audio file into the studio sink, and the mixer's volumes and mute.

Each file plays through its own ``paplay`` (libsndfile reads WAV, FLAC, Ogg/Opus and
MP3), tagged with a ``media.role`` so the server can duck music under speech and the
mixer can set the volume of every stream of a role at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

from studio.audio.events import MixerChanged
from studio.broadcast.processes import ManagedProcess
from studio.broadcast.sound_server import ROLES, SINK, SoundServer
from studio.errors import Problem, ValidationFailed
from studio.events import EventBus

log = logging.getLogger(__name__)

MAX_VOLUME = 150
"""Percent; above 100 amplifies (and may clip)."""
TARGETS = ("master", *ROLES)
PA_NORM = 65536


def volume_problem(target: str, percent: object) -> list[Problem]:
    problems = []
    if target not in TARGETS:
        problems.append(Problem("target", f"must be one of {', '.join(TARGETS)}"))
    if not isinstance(percent, int) or isinstance(percent, bool):
        problems.append(Problem("percent", "must be a whole number of percent"))
    elif not 0 <= percent <= MAX_VOLUME:
        problems.append(Problem("percent", f"must be from 0 to {MAX_VOLUME} (got {percent})"))
    return problems


class Mixer:
    """Volumes of the whole stream (``master``) and of each role, and mute.

    A role's volume applies to the streams of that role playing now and to every
    stream started after; mute silences the sink, so the track carries silence."""

    def __init__(self, server: SoundServer, bus: EventBus | None = None) -> None:
        self.server = server
        self.bus = bus
        self.volumes: dict[str, int] = dict.fromkeys(TARGETS, 100)
        self.muted = False

    def stream_volume(self, role: str) -> int:
        """``paplay --volume`` for a new stream of ``role`` (0..65536 is 0..100 %)."""
        return round(PA_NORM * self.volumes.get(role, 100) / 100)

    async def set_volume(self, target: str, percent: int) -> None:
        problems = volume_problem(target, percent)
        if problems:
            raise ValidationFailed(problems, what="volume")
        self.volumes[target] = percent
        if self.server.running:
            if target == "master":
                await self._pactl("set-sink-volume", SINK, f"{percent}%")
            else:
                for index in await self.streams(target):
                    await self._pactl("set-sink-input-volume", str(index), f"{percent}%")
        self._publish()

    async def set_muted(self, muted: bool) -> None:
        self.muted = muted
        if self.server.running:
            await self._pactl("set-sink-mute", SINK, "1" if muted else "0")
        self._publish()

    async def apply(self) -> None:
        """Set the sink to the mixer's state again (after the server restarted)."""
        if self.server.running:
            await self._pactl("set-sink-volume", SINK, f"{self.volumes['master']}%")
            await self._pactl("set-sink-mute", SINK, "1" if self.muted else "0")

    async def streams(self, role: str) -> list[int]:
        """Indexes of the sink inputs of ``role`` playing now."""
        code, out, _ = await self.server.pactl("-f", "json", "list", "sink-inputs")
        if code != 0:
            return []
        try:
            inputs = json.loads(out or "[]")
        except ValueError:
            return []
        return [
            int(item["index"])
            for item in inputs
            if (item.get("properties") or {}).get("media.role") == role
        ]

    async def _pactl(self, *args: str) -> None:
        code, _, err = await self.server.pactl(*args)
        if code != 0:
            log.warning("pactl %s failed: %s", " ".join(args), err.strip())

    def _publish(self) -> None:
        if self.bus is not None:
            self.bus.publish(MixerChanged(volumes=dict(self.volumes), muted=self.muted))


class Playback:
    """Plays files into the studio sink, one ``paplay`` each."""

    def __init__(self, server: SoundServer, mixer: Mixer) -> None:
        self.server = server
        self.mixer = mixer

    def argv(self, path: Path, role: str, title: str) -> list[str]:
        return [
            "paplay",
            "-s",
            self.server.server,
            "-d",
            SINK,
            f"--client-name=studio-{role}",
            f"--stream-name={title[:80]}",
            f"--property=media.role={role}",
            f"--volume={self.mixer.stream_volume(role)}",
            str(path),
        ]

    async def play(self, path: Path, role: str, *, title: str = "", limit: float = 3600.0) -> int:
        """Play ``path`` to its end (at most ``limit`` seconds); paplay's exit code.

        Cancelling stops the sound at once."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        if not self.server.running:
            return -1
        process = ManagedProcess(f"paplay ({role})", self.argv(path, role, title or path.name))
        await process.start()
        try:
            return await asyncio.wait_for(process.wait(), limit)
        except TimeoutError:
            return -1
        finally:
            await process.stop(grace=1.0)
