"""Events of the broadcast pipeline, published on a ``studio.events.EventBus``.

None of them carries a secret: destinations appear by name, process output only
after redaction.
"""

from __future__ import annotations

from typing import Literal

from studio.events import Event


class EncoderStats(Event):
    """One block of FFmpeg's ``-progress`` output (the encoder, or a relay)."""

    kind = "encoder.stats"
    source: str = "encoder"
    frame: int = 0
    fps: float = 0.0
    bitrate_kbps: float | None = None
    total_size: int | None = None
    out_time: float = 0.0
    dup_frames: int = 0
    drop_frames: int = 0
    speed: float | None = None
    ended: bool = False


class DestinationStateChanged(Event):
    kind = "destination.state"
    destination: str
    state: str
    reason: str = ""
    attempt: int = 0
    retry_in: float | None = None


class ProcessStarted(Event):
    kind = "process.started"
    process: str
    pid: int | None = None


class ProcessExited(Event):
    """A supervised process ended on its own (a crash, not a stop)."""

    kind = "process.exited"
    process: str
    returncode: int | None = None
    last_lines: list[str] = []


class ProcessOutput(Event):
    """A warning or error line from a process, redacted."""

    kind = "process.output"
    process: str
    line: str


class RecoveryScheduled(Event):
    kind = "pipeline.recovery_scheduled"
    reason: str
    attempt: int
    delay: float


class PipelineRecovered(Event):
    kind = "pipeline.recovered"
    reason: str
    attempt: int
    restarted: list[str]


class PipelineStateChanged(Event):
    kind = "pipeline.state"
    state: str
    display: str | None = None
    grid: tuple[int, int] | None = None


class AudioStateChanged(Event):
    """``on``: the stream's audio is the studio's sink; ``silent``: a silent track, and why."""

    kind = "audio.state"
    state: Literal["on", "silent"]
    reason: str = ""
