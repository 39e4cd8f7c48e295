"""The chat timeline: newest at the bottom, following the tail until you scroll up.

Scrolling up pauses the tail and counts what arrives meanwhile; End resumes. The log
keeps at most the model's scrollback (the journal keeps everything).
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import RichLog

from studio.console.colours import palette
from studio.console.model import TimelineEntry

PLATFORM_MARKS = {"retake": "RT", "clawcast": "CC", "basefm": "FM"}
KIND_LABELS = {"tip": "TIP", "trade": "TRADE", "follow": "FOLLOW", "pin": "PIN",
               "activity": "•", "sent": "YOU"}  # fmt: skip


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

    def add(self, line: TimelineEntry) -> None:
        self.write(self.render_chat_line(line), scroll_end=not self.paused)
        if self.paused:
            self.unseen += 1

    def render_chat_line(self, line: TimelineEntry) -> Text:
        v = palette(self.app)
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
