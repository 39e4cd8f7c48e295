"""Events as lines a person reads at a terminal (``studio golive`` without --headless)."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console

from studio.events import Event
from studio.redaction import redact

_QUIET = {"encoder.stats", "process.output", "retake.feed", "golive.viewers"}


class HumanOutput:
    def __init__(self, console: Console | None = None, *, stats_every: float = 15.0) -> None:
        self.console = console or Console(highlight=False)
        self.stats_every = stats_every
        self._last_stats = 0.0

    def __call__(self, event: Event) -> None:
        data: dict[str, Any] = event.to_dict()
        kind = data.pop("event")
        data.pop("at", None)
        if kind == "encoder.stats":
            now = time.monotonic()
            if now - self._last_stats < self.stats_every:
                return
            self._last_stats = now
        elif kind in _QUIET:
            return
        self.console.print(redact(self._line(kind, data)), markup=False)

    @staticmethod
    def _line(kind: str, data: dict[str, Any]) -> str:
        if kind == "golive.step":
            mark = {"started": "…", "done": "✓", "failed": "✗"}.get(data.get("state", ""), "·")
            detail = (
                f"  ({data['detail']})"
                if data.get("detail") and data.get("state") != "done"
                else ""
            )
            return f"{mark} {data['platform']}: {data['step']}{detail}"
        if kind == "golive.notice":
            return f"[{data['platform']}] {data['text']}"
        if kind == "operator.needed":
            return f"\n>>> {data['prompt']}\n"
        if kind == "golive.live":
            return f"● LIVE on {data['platform']}" + (f": {data['url']}" if data.get("url") else "")
        if kind == "golive.failed":
            fix = f"\n  fix: {data['fix']}" if data.get("fix") else ""
            return f"✗ {data['platform']}: {data['error']}{fix}"
        if kind == "golive.state":
            return f"— {data['state']} —"
        if kind == "retake.chat":
            return f"  💬 {data.get('author')}: {data.get('text')}"
        if kind == "encoder.stats":
            return (
                f"  encoder: {data.get('fps')} fps, {data.get('bitrate_kbps')} kbit/s, "
                f"speed {data.get('speed')}, dropped {data.get('drop_frames')}"
            )
        return f"  {kind}: " + ", ".join(
            f"{k}={v}" for k, v in data.items() if v not in (None, "", [], {})
        )
