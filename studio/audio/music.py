"""Music into the stream: a playlist played once or in a loop (a baseFM DJ set).

Music plays under the role ``music``, so the sound server ducks it while the voice
speaks and brings it back after.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path

from studio.audio.events import MusicStopped, TrackStarted
from studio.audio.playback import Playback
from studio.errors import Problem
from studio.events import EventBus

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif", ".au")
"""What paplay (libsndfile) reads."""
MAX_TRACKS = 1000


def audio_file_problem(path: Path, field: str) -> Problem | None:
    if not path.exists():
        return Problem(field, f"{path} does not exist")
    if not path.is_file():
        return Problem(field, f"{path} is not a file")
    if path.suffix.lower() not in AUDIO_SUFFIXES:
        return Problem(field, f"{path.name} must be one of {', '.join(AUDIO_SUFFIXES)}")
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        return Problem(field, f"{path} cannot be read ({exc.strerror})")
    return None


def playlist(path: Path, field: str = "music") -> tuple[list[Path], list[Problem]]:
    """The tracks of a file or a folder (its audio files, by name); problems naming ``field``."""
    if path.is_dir():
        tracks = sorted(p for p in path.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
        if not tracks:
            return [], [Problem(field, f"{path} holds no audio file ({', '.join(AUDIO_SUFFIXES)})")]
        if len(tracks) > MAX_TRACKS:
            return [], [Problem(field, f"{path} holds more than {MAX_TRACKS} audio files")]
        problems = [p for t in tracks if (p := audio_file_problem(t, field))]
        return tracks, problems
    problem = audio_file_problem(path, field)
    return ([path], []) if problem is None else ([], [problem])


class Music:
    """Plays ``tracks`` in order, once or forever; ``skip`` moves to the next one."""

    def __init__(
        self, playback: Playback, bus: EventBus, tracks: Sequence[Path], *, loop: bool = False
    ) -> None:
        self.playback = playback
        self.bus = bus
        self.tracks = list(tracks)
        self.loop = loop
        self._task: asyncio.Task[None] | None = None
        self._current: asyncio.Task[int] | None = None
        self.now: TrackStarted | None = None
        """The track playing now."""

    @property
    def playing(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.playing and self.tracks:
            self._task = asyncio.create_task(self._play(), name="music")

    async def _play(self) -> None:
        try:
            await self._playlist()
        finally:
            self.now = None
            self.bus.publish(MusicStopped())

    async def _playlist(self) -> None:
        while True:
            played = 0
            for position, track in enumerate(self.tracks, 1):
                self.now = TrackStarted(
                    title=track.stem[:120], position=position, tracks=len(self.tracks)
                )
                self.bus.publish(self.now)
                current = asyncio.create_task(self.playback.play(track, "music", title=track.stem))
                self._current = current
                try:
                    await asyncio.wait({current})
                finally:
                    if not current.done():  # the music was stopped
                        current.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await current
                if current.cancelled():  # skipped
                    played += 1
                elif current.result() == 0:
                    played += 1
                else:
                    log.warning("music: %s did not play (code %s)", track.name, current.result())
            if not self.loop or played == 0:  # a playlist that plays nothing is not looped
                return
            await asyncio.sleep(0)

    def skip(self) -> None:
        if self._current is not None:
            self._current.cancel()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
