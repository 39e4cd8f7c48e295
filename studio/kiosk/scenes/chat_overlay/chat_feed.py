"""Recent chat with first-time viewers marked and tips, trades and follows as alerts.

Entries are kept bounded; the newest are drawn at the bottom and older ones scroll off.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from studio.kiosk.air import AirFilter

HEADER_ROWS = 2
ALERT_ICONS = {"tip": "♦", "trade": "▲", "follow": "♥"}


@dataclass(frozen=True)
class ChatEntry:
    author: str
    text: str
    first_time: bool = False
    alert: str | None = None


def alert_text(kind: str, who: str, amount: str | None, detail: str | None) -> str:
    verb = {"tip": "tipped", "trade": "bought", "follow": "followed"}[kind]
    words = [who, verb]
    if amount:
        words.append(amount)
    line = " ".join(words)
    return f"{line} · {detail}" if detail else line


class ChatFeed(Widget, can_focus=False):
    def __init__(
        self, *, air: AirFilter, keep: int = 100, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.air = air
        self.entries: deque[ChatEntry] = deque(maxlen=keep)

    def add(self, entry: ChatEntry) -> None:
        self.entries.append(entry)
        self.refresh()

    def _entry_text(self, raw: ChatEntry) -> Text:
        """Masked at draw time, so secrets learnt later are masked in older messages too."""
        entry = ChatEntry(
            self.air.text(raw.author), self.air.text(raw.text), raw.first_time, raw.alert
        )
        theme = self.app.current_theme
        if entry.alert:
            icon = ALERT_ICONS.get(entry.alert, "★")
            return Text.assemble(
                (f" {icon} {entry.alert.upper()} ", f"bold black on {theme.accent}"),
                " ",
                (entry.text, f"bold {theme.accent}"),
            )
        parts: list[tuple[str, str] | str] = []
        if entry.first_time:
            parts.append((" NEW ", f"bold black on {theme.success}"))
            parts.append(" ")
        parts.append((entry.author, f"bold {theme.primary}"))
        parts.append(("  ", ""))
        parts.append((entry.text, str(theme.foreground)))
        return Text.assemble(*parts)

    def render(self) -> Text:
        width, height = self.content_region.width, self.content_region.height - HEADER_ROWS
        if width <= 0 or height <= 0:
            return Text("")
        theme = self.app.current_theme
        header = [Text.assemble((" LIVE CHAT ", f"bold black on {theme.primary}")), Text("")]
        rows: list[Text] = []
        for entry in reversed(self.entries):
            wrapped = list(self._entry_text(entry).wrap(self.app.console, width))
            block = wrapped + [Text("")]
            if len(rows) + len(block) > height and rows:
                break
            rows[:0] = block
        if not self.entries:
            rows = [Text("Say hi in the chat!", style=f"italic {theme.secondary}")]
        rows = rows[-height:]
        padding = [Text("")] * (height - len(rows))
        return Text("\n").join(header + padding + rows)
