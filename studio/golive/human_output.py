"""Events as lines a person reads at a terminal (``studio golive`` without --headless)."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console

from studio.events import Event
from studio.inert_text import inert_data
from studio.redaction import redact

_OWN_LINES = {"operator.needed", "golive.failed"}
_QUIET = {
    "encoder.stats",
    "process.output",
    "retake.feed",
    "golive.viewers",
    "golive.health",
    "clawcast.slot",  # for the console's queue; the booking's notice says it in words
    # the raw feed: its cleaned lines arrive as chat.line and chat.alert
    "retake.chat",
    "retake.tip",
    "retake.trade",
    "retake.rawtrade",
    "retake.follow",
}


class HumanOutput:
    def __init__(self, console: Console | None = None, *, stats_every: float = 15.0) -> None:
        self.console = console or Console(highlight=False)
        self.stats_every = stats_every
        self._last_stats = 0.0

    def __call__(self, event: Event | dict[str, Any]) -> None:
        """Print one event (typed, or its JSON as the control API sends it)."""
        data: dict[str, Any] = dict(event) if isinstance(event, dict) else event.to_dict()
        kind = data.pop("event")
        data.pop("at", None)
        if kind == "encoder.stats":
            now = time.monotonic()
            if now - self._last_stats < self.stats_every:
                return
            self._last_stats = now
        elif kind in _QUIET:
            return
        # Viewer text is cleaned where it enters the core; this is the second fence
        # for the operator's own terminal (an event from elsewhere, an old journal).
        # The studio's own prompts and fixes keep their line breaks.
        line = self._line(kind, inert_data(data, newlines=kind in _OWN_LINES))
        if line:
            self.console.print(redact(line), markup=False)

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
        if kind == "golive.leg_dropped":
            fix = f"\n  fix: {data['fix']}" if data.get("fix") else ""
            still = ", ".join(data.get("remaining") or []) or "nothing"
            return (
                f"✗ {data['platform']} stopped alone ({data['stage']}): {data['error']}{fix}\n"
                f"  still on air: {still}"
            )
        if kind == "retake.feed_trouble":
            return f"[retake] chat feed: {data['error']}; retrying in {data['retry_in']:.0f} s"
        if kind == "pipeline.recovery_scheduled":
            return (
                f"⟳ {data.get('reason')}: reconnecting in {data.get('delay')} s "
                "(to reconnect now: studio reconnect)"
            )
        if kind == "builder.notify":
            urgent = "!!! " if data.get("urgent") else ""
            return f"\n{urgent}📣 for your builder ({data['reason']}):\n{data['text']}\n"
        if kind == "chat.quiet":
            sent = f" (sent: {data['line']})" if data.get("line") else ""
            return f"  🔇 {data['prompt']}{sent}"
        if kind == "golive.state":
            return f"— {data['state']} —"
        if kind == "chat.line":
            new = " (first time)" if data.get("first_time") else ""
            return f"  💬 {data.get('author')}{new}: {data.get('text')}"
        if kind == "chat.alert":
            mark = {"tip": "💰", "trade": "📈", "follow": "➕"}.get(data.get("alert", ""), "·")
            amount = f" {data['amount']}" if data.get("amount") else ""
            detail = f" ({data['detail']})" if data.get("detail") else ""
            return f"  {mark} {data.get('who')}: {data.get('alert')}{amount}{detail}"
        if kind == "encoder.stats":

            def show(value: Any, unit: str = "") -> str:
                return "–" if value is None else f"{value:g}{unit}"

            return (
                f"  encoder: {show(data.get('fps'))} fps, {show(data.get('bitrate_kbps'), ' kbit/s')}, "
                f"speed {show(data.get('speed'), 'x')}, dropped {data.get('drop_frames')}"
            )
        return f"  {kind}: " + ", ".join(
            f"{k}={v}" for k, v in data.items() if v not in (None, "", [], {})
        )
