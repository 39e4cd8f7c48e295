"""The chat timeline: newest at the bottom, following the tail until you scroll up.

Scrolling up pauses the tail and counts what arrives meanwhile; End resumes. The log
keeps at most the model's scrollback (the journal keeps everything).

A flood is drawn in slices: lines wait in ``pending`` (bounded by the scrollback, so a
line that could never survive the bound is never rendered), each slice renders for at
most ``SLICE_SECONDS`` and scrolls once, and the next slice waits behind the key presses
and repaints already queued.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.widgets import RichLog

from studio.console.colours import palette
from studio.console.model import TimelineEntry

PLATFORM_MARKS = {"retake": "RT", "clawcast": "CC", "basefm": "FM"}
KIND_LABELS = {"tip": "TIP", "trade": "TRADE", "follow": "FOLLOW", "pin": "PIN",
               "activity": "•", "sent": "YOU"}  # fmt: skip
SLICE_SECONDS = 0.01
"""The longest one slice of a flood renders before keys and repaints get their turn."""
FLOOD_GAP = 0.05
"""While lines keep coming, slices are this far apart: the lines pushed out of the
bound meanwhile are never rendered, and the reading of events gets the time."""


class ChatLog(RichLog):
    BINDINGS = [
        Binding(
            "end", "resume", "Resume", id="chat.resume", tooltip="Follow the newest messages again."
        ),  # fmt: skip
        Binding(
            "home",
            "scroll_home",
            "Oldest",
            show=False,
            id="chat.oldest",
            tooltip="Go to the oldest message kept.",
        ),  # fmt: skip
    ]

    paused: reactive[bool] = reactive(False)
    unseen: reactive[int] = reactive(0)

    def __init__(self, *, max_lines: int, id: str | None = None) -> None:
        super().__init__(max_lines=max_lines, wrap=True, markup=False, auto_scroll=True, id=id)
        self.pending: deque[TimelineEntry] = deque(maxlen=max_lines)
        """Lines taken but not drawn yet (each line is at least one row, so the older
        ones a full deque drops would have been trimmed by the bound anyway)."""
        self._arrived = False
        """Lines came in since the last slice: a flood is going on."""

    def add(self, lines: Iterable[TimelineEntry]) -> None:
        """Take new lines: drawn now as far as one slice goes, the rest in later slices."""
        idle = not self.pending
        before = len(self.pending)
        self.pending.extend(lines)
        if self.paused:
            self.unseen += len(self.pending) - before
        if idle and self.pending:
            self._draw_slice()
        else:
            self._arrived = True

    def clear(self) -> ChatLog:
        self.pending.clear()
        return super().clear()

    def _draw_slice(self) -> None:
        if not self.pending or not self.is_attached:
            return
        ends = time.perf_counter() + SLICE_SECONDS
        bound, self.max_lines = self.max_lines, None  # trimmed once, below
        colours = palette(self.app)
        try:
            while self.pending:
                line = self.render_chat_line(self.pending.popleft(), colours)
                self.write(line, scroll_end=False)
                if time.perf_counter() >= ends:
                    break
        finally:
            self.max_lines = bound
        if bound is not None and len(self.lines) > bound:
            self._start_line += len(self.lines) - bound
            self.lines = self.lines[-bound:]
            self.virtual_size = Size(self._widest_line_width, len(self.lines))
            self.refresh()
        if not self.paused:
            self.scroll_end(animate=False, immediate=False, x_axis=False)
        if not self.pending:
            self._arrived = False
        elif self._arrived:
            self._arrived = False
            self.set_timer(FLOOD_GAP, self._draw_slice)
        else:
            self.call_later(self._draw_slice)

    def render_chat_line(self, line: TimelineEntry, colours: dict[str, str] | None = None) -> Text:
        v = colours or palette(self.app)
        mark = PLATFORM_MARKS.get(line.platform, line.platform[:2].upper())
        platform_colour = {"retake": v.get("primary"), "clawcast": v.get("secondary"),
                           "basefm": v.get("accent")}.get(line.platform)  # fmt: skip
        text = Text(no_wrap=False)
        text.append(datetime.fromtimestamp(line.at).strftime("%H:%M "), style=v.get("text-muted"))
        text.append(f"{mark} ", style=f"bold {platform_colour or ''}")
        label = KIND_LABELS.get(line.kind)
        if label:
            colour = v.get("success") if line.kind in ("tip", "trade") else v.get("accent")
            text.append(f"{label} ", style=f"bold {colour}")
        if line.first_time:
            text.append("NEW ", style=f"bold reverse {v.get('warning')}")
        text.append(line.author, style=f"bold {v.get('foreground')}")
        if line.amount:
            text.append(f" {line.amount}", style=f"bold {v.get('success')}")
        if line.text:
            text.append(
                f": {line.text}" if line.kind in ("chat", "sent", "pin") else f" {line.text}"
            )
        return text

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        at_end = new >= self.max_scroll_y - 0.5
        if at_end and self.paused:
            self.paused, self.unseen = False, 0
        elif not at_end and new < old:
            self.paused = True

    def action_resume(self) -> None:
        self.paused, self.unseen = False, 0
        self.scroll_end(animate=False)
