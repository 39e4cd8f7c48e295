"""FFmpeg's ``-progress`` output: ``key=value`` lines, one block per update,
each block ending with ``progress=continue`` (or ``progress=end``)."""

from __future__ import annotations

from collections.abc import Callable

from studio.broadcast.events import EncoderStats


def _float(value: str | None) -> float | None:
    if value is None:
        return None
    value = value.strip().rstrip("x").replace("kbits/s", "")
    try:
        return float(value)
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    number = _float(value)
    return int(number) if number is not None else None


def stats_from_block(block: dict[str, str], source: str = "encoder") -> EncoderStats:
    out_time_us = _int(block.get("out_time_us")) or _int(block.get("out_time_ms"))
    return EncoderStats(
        source=source,
        frame=_int(block.get("frame")) or 0,
        fps=_float(block.get("fps")) or 0.0,
        bitrate_kbps=_float(block.get("bitrate")),
        total_size=_int(block.get("total_size")),
        out_time=(out_time_us / 1_000_000) if out_time_us and out_time_us > 0 else 0.0,
        dup_frames=_int(block.get("dup_frames")) or 0,
        drop_frames=_int(block.get("drop_frames")) or 0,
        speed=_float(block.get("speed")),
        ended=block.get("progress") == "end",
    )


class ProgressParser:
    """Feed it lines; it calls ``on_stats`` once per completed block."""

    def __init__(self, on_stats: Callable[[EncoderStats], None], source: str = "encoder") -> None:
        self._on_stats = on_stats
        self._source = source
        self._block: dict[str, str] = {}
        self.last: EncoderStats | None = None

    def feed(self, line: str) -> None:
        key, sep, value = line.strip().partition("=")
        if not sep:
            return
        self._block[key] = value
        if key == "progress":
            self.last = stats_from_block(self._block, self._source)
            self._block = {}
            self._on_stats(self.last)
