"""Speech into the stream: engines that turn text into a WAV, and the queue that
plays their utterances one after the other.

The default engine is espeak-ng (offline, from Debian). A neural voice plugs in
behind the same ``SpeechEngine`` interface: ``PiperEngine`` runs ``piper`` with a
voice model file the operator provides.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import shutil
import tempfile
import unicodedata
from pathlib import Path
from typing import Protocol

from studio.audio.events import SpeechFinished, SpeechQueued, SpeechStarted
from studio.audio.playback import Playback
from studio.broadcast.processes import run_capture
from studio.children import die_with_parent
from studio.errors import Problem, StudioError, ValidationFailed
from studio.events import EventBus

log = logging.getLogger(__name__)

MAX_CHARS = 300
"""About 20 seconds of speech: a line to viewers, not a monologue."""
MAX_QUEUED = 5
MAX_SECONDS = 45.0
"""No utterance plays longer than this, whatever the engine made of it."""
SYNTH_LIMIT = 30.0
PAUSE = 0.6
"""Seconds of silence between two utterances, so two lines never run into one."""


def _has_sound(wav: Path) -> bool:
    """Whether an engine wrote more than a WAV header."""
    return wav.is_file() and wav.stat().st_size > 44


class SpeechEngine(Protocol):
    """Turns text into a WAV file."""

    name: str

    async def synthesize(self, text: str, wav: Path) -> None: ...


class EspeakEngine:
    name = "espeak-ng"

    def __init__(self, voice: str = "en-us", words_per_minute: int = 165) -> None:
        self.voice = voice
        self.words_per_minute = words_per_minute

    async def synthesize(self, text: str, wav: Path) -> None:
        if shutil.which("espeak-ng") is None:
            raise StudioError(
                "espeak-ng is not installed, so the studio cannot speak.",
                fix="Run scripts/install (it installs espeak-ng).",
            )
        source = wav.with_suffix(".txt")
        # from a file: the text is never read as an option
        await asyncio.to_thread(source.write_text, text, encoding="utf-8")
        argv = ["espeak-ng", "-v", self.voice, "-s", str(self.words_per_minute)]
        code, _, err = await run_capture([*argv, "-w", str(wav), "-f", str(source)], SYNTH_LIMIT)
        if code != 0 or not _has_sound(wav):
            raise StudioError(f"espeak-ng could not speak this: {err.strip() or code}.")


class PiperEngine:
    """piper (https://github.com/rhasspy/piper) with a voice model the operator provides."""

    name = "piper"

    def __init__(self, model: Path, binary: str = "piper") -> None:
        self.model = model
        self.binary = binary

    async def synthesize(self, text: str, wav: Path) -> None:
        if shutil.which(self.binary) is None or not self.model.is_file():
            raise StudioError(
                f"piper or its voice model ({self.model}) is missing.",
                fix="Install piper and give --voice-model the path of a .onnx voice.",
            )
        process = await asyncio.create_subprocess_exec(
            self.binary,
            "--model",
            str(self.model),
            "--output_file",
            str(wav),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
        try:
            _, err = await asyncio.wait_for(process.communicate(text.encode()), SYNTH_LIMIT)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise StudioError(f"piper took longer than {SYNTH_LIMIT:.0f} s.") from None
        if process.returncode != 0 or not _has_sound(wav):
            raise StudioError(f"piper could not speak this: {err.decode(errors='replace')[-200:]}")


def speakable(text: str, max_chars: int = MAX_CHARS) -> str:
    """``text`` without control characters, spaces collapsed; raises naming the rule."""
    cleaned = "".join(
        " " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text
    )
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise ValidationFailed([Problem("text", "must not be empty")], what="speech")
    if len(cleaned) > max_chars:
        raise ValidationFailed(
            [Problem("text", f"must be at most {max_chars} characters (got {len(cleaned)})")],
            what="speech",
        )
    return cleaned


class Voice:
    """Utterances in order, never two at once, each bounded in length and time."""

    def __init__(
        self,
        engine: SpeechEngine,
        playback: Playback,
        bus: EventBus,
        *,
        max_chars: int = MAX_CHARS,
        max_queued: int = MAX_QUEUED,
        max_seconds: float = MAX_SECONDS,
        pause: float = PAUSE,
    ) -> None:
        self.engine = engine
        self.playback = playback
        self.bus = bus
        self.max_chars = max_chars
        self.max_seconds = max_seconds
        self.pause = pause
        self._queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue(max_queued)
        self._ids = itertools.count(1)
        self._worker: asyncio.Task[None] | None = None
        self._speaking = False
        self.waiting: dict[int, str] = {}
        """The lines queued and not yet spoken, by utterance number, in order."""
        self.speaking: tuple[int, str] | None = None
        """The line being spoken now."""

    @property
    def busy(self) -> bool:
        return self._speaking or not self._queue.empty()

    def check(self, text: str) -> str:
        """``text`` as it would be spoken; raises ``ValidationFailed`` naming the rule broken."""
        cleaned = speakable(text, self.max_chars)
        if self._queue.full():
            raise ValidationFailed(
                [
                    Problem(
                        "text",
                        f"at most {self._queue.maxsize} utterances may wait; try again "
                        "when one has been spoken",
                    )
                ],
                what="speech",
            )
        return cleaned

    def say(self, text: str) -> int:
        """Queue ``text``; its utterance number. Raises ``ValidationFailed`` naming the rule."""
        cleaned = self.check(text)
        utterance = next(self._ids)
        self._queue.put_nowait((utterance, cleaned))
        self.waiting[utterance] = cleaned
        self.bus.publish(SpeechQueued(utterance=utterance, text=cleaned))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._speak(), name="voice")
        return utterance

    async def _speak(self) -> None:
        with tempfile.TemporaryDirectory(prefix="studio-voice-") as folder:
            first = True
            while not self._queue.empty():
                utterance, text = self._queue.get_nowait()
                self.waiting.pop(utterance, None)
                self._speaking = True
                try:
                    if not first:
                        await asyncio.sleep(self.pause)
                    first = False
                    await self._one(utterance, text, Path(folder) / f"{utterance}.wav")
                finally:
                    self._speaking = False

    async def _one(self, utterance: int, text: str, wav: Path) -> None:
        try:
            await self.engine.synthesize(text, wav)
        except Exception as exc:  # noqa: BLE001 - one failed line must not silence the rest
            log.warning("speech %s failed: %s", utterance, exc)
            self.bus.publish(SpeechFinished(utterance=utterance, error=str(exc)))
            return
        self.bus.publish(SpeechStarted(utterance=utterance, text=text, engine=self.engine.name))
        self.speaking = (utterance, text)
        error = ""
        try:
            code = await self.playback.play(wav, "speech", title="speech", limit=self.max_seconds)
            if code != 0:
                error = "the sound server did not play it"
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(wav)
            self.speaking = None
            self.bus.publish(SpeechFinished(utterance=utterance, error=error))

    async def wait_idle(self, limit: float = 60.0) -> None:
        """Until everything queued has been spoken (bounded)."""
        if self._worker is not None:
            await asyncio.wait_for(asyncio.shield(self._worker), limit)

    async def stop(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
        self.waiting.clear()
        task, self._worker = self._worker, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
