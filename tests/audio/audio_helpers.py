"""Measuring sound on recordings with FFmpeg: RMS level per time window, loud spans."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

SILENT_DB = -60.0
LOUD_DB = -40.0


def levels(path: Path, window: float = 0.1, pre: str = "") -> list[tuple[float, float]]:
    """(start time in s, RMS level in dBFS) of each ``window`` of the audio track.

    ``pre`` is a filter chain applied first (a high-pass to hear only a tone, say)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "levels.txt"
        chain = ",".join(
            part
            for part in (
                pre,
                f"asetnsamples=n={round(44100 * window)}:p=0",
                "astats=metadata=1:reset=1",
                f"ametadata=mode=print:key=lavfi.astats.Overall.RMS_level:file={out}",
            )
            if part
        )
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-i",
                str(path),
                "-map",
                "0:a",
                "-af",
                chain,
                "-f",
                "null",
                "-",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        found: list[tuple[float, float]] = []
        time = 0.0
        for line in out.read_text().splitlines():
            if line.startswith("frame:"):
                time = float(line.rsplit("pts_time:", 1)[1])
            elif "RMS_level=" in line:
                value = line.split("=", 1)[1].strip()
                found.append((time, float("-inf") if "inf" in value else float(value)))
    return found


def spans(
    measured: list[tuple[float, float]],
    threshold: float = LOUD_DB,
    window: float = 0.1,
    bridge: float = 0.5,
) -> list[tuple[float, float]]:
    """(start, end) of each run of windows louder than ``threshold``; quieter gaps shorter
    than ``bridge`` seconds (between words and sentences) do not end a run."""
    found: list[tuple[float, float]] = []
    start: float | None = None
    last = 0.0
    for time, level in measured:
        if level > threshold:
            if start is None:
                start = time
            last = time + window
        elif start is not None:
            found.append((start, last))
            start = None
    if start is not None:
        found.append((start, last))
    merged: list[tuple[float, float]] = []
    for a, b in found:
        if merged and a - merged[-1][1] < bridge:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def loudest(measured: list[tuple[float, float]], start: float, end: float) -> float:
    return max((lvl for t, lvl in measured if start <= t < end), default=float("-inf"))


def mean_db(measured: list[tuple[float, float]], start: float, end: float) -> float:
    inside = [lvl for t, lvl in measured if start <= t < end and lvl != float("-inf")]
    return sum(inside) / len(inside) if inside else float("-inf")


def median_db(measured: list[tuple[float, float]], start: float, end: float) -> float:
    """The median level of the windows in [start, end): a few odd windows do not move it."""
    inside = sorted(lvl for t, lvl in measured if start <= t < end)
    return inside[len(inside) // 2] if inside else float("-inf")


def audio_packet_times(path: Path) -> list[float]:
    out = subprocess.run(
        [
            "ffprobe", "-v", "error", "-select_streams", "a:0",
            "-show_entries", "packet=pts_time", "-of", "csv=p=0", str(path),
        ],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    values = (x.strip(",") for x in out.split())
    return [float(x) for x in values if x and x != "N/A"]


def tone(path: Path, frequency: int, seconds: float) -> Path:
    """A mono test tone file made now with FFmpeg (a sine at -21 dBFS RMS)."""
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-f", "lavfi",
            "-i", f"sine=frequency={frequency}:duration={seconds}:sample_rate=44100",
            "-y", str(path),
        ],
        check=True, timeout=30,
    )  # fmt: skip
    return path
