"""Recent chat with first-time viewers marked and tips, trades and follows as alerts.

Entries are kept bounded; the newest are drawn at the bottom and older ones scroll off.
Each entry is masked, wrapped and styled once for the pane's width and theme (line API, as
TerminalView draws its lines), so a new message draws only itself, and a burst of messages
is drawn in one refresh, at most ``refresh_hz`` a second. Drawing the whole pane anew for
every message was most of the time from a chat message's arrival to its pixels (issue 9,
row 6; docs/bench/profiles/row6-chat-latency.txt).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.strip import Strip
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
        self,
        *,
        air: AirFilter,
        keep: int = 100,
        refresh_hz: float = 30.0,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.air = air
        self.entries: deque[ChatEntry] = deque(maxlen=keep)
        self._drawn: dict[ChatEntry, list[Strip]] = {}
        """Each entry's rows for ``_drawn_for`` (the same words draw the same rows)."""
        self._drawn_for: tuple[object, ...] = ()
        self._rows: list[Strip] | None = None
        self._interval = 1.0 / refresh_hz
        self._last_refresh = 0.0
        self._refresh_scheduled = False
        self._draw_pending = False
        """Refreshed for new entries and not drawn since: a newer entry joins that draw."""
        self.refreshes = 0
        """How many times added entries were drawn (at most ``refresh_hz`` a second)."""

    def add(self, entry: ChatEntry) -> None:
        """Keep the entry; it reaches the screen at once, or at the next refresh slot if
        the pane was drawn less than 1/``refresh_hz`` s ago (a burst is one refresh).

        While a draw is on its way (rows dropped, not yet drawn again) the entry simply
        joins it: a batch of commands from the control socket is one refresh."""
        self.entries.append(entry)
        if self._refresh_scheduled or self._draw_pending:
            return
        wait = self._last_refresh + self._interval - time.monotonic()
        if wait <= 0:
            self._show_new()
        else:
            self._refresh_scheduled = True
            self.set_timer(wait, self._show_new)

    def _show_new(self) -> None:
        self._refresh_scheduled = False
        self._last_refresh = time.monotonic()
        self.refreshes += 1
        self._rows = None
        self._draw_pending = True
        self.refresh()

    def remask(self) -> None:
        """Draw every entry again: the air filter has learnt new secrets."""
        self._drawn.clear()
        self._rows = None
        self.refresh()

    def on_resize(self) -> None:
        self._rows = None

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
        # A style of its own, so the gap stays a segment apart from the words (as drawn before)
        parts.append(("  ", "not bold"))
        parts.append((entry.text, str(theme.foreground)))
        return Text.assemble(*parts)

    def _strips(self, text: Text, width: int, style: Style) -> list[Strip]:
        console = self.app.console
        strips = []
        for part in text.wrap(console, width) if text.plain else [text]:
            part.end = ""
            strip = Strip(list(part.render(console)), part.cell_len)
            strips.append(strip.crop_extend(0, width, style).apply_style(style))
        return strips

    def _entry_rows(self, entry: ChatEntry, width: int, style: Style) -> list[Strip]:
        rows = self._drawn.get(entry)
        if rows is None:
            rows = self._drawn[entry] = self._strips(self._entry_text(entry), width, style)
        return rows

    def _all_rows(self) -> list[Strip]:
        width, height = self.content_region.width, self.content_region.height
        style = self.visual_style.rich_style
        key = (width, self.app.theme, style)
        if key != self._drawn_for:
            self._drawn.clear()
            self._drawn_for = key
            self._rows = None
        if self._rows is not None and len(self._rows) == height:
            return self._rows
        self._draw_pending = False  # the rows are built from every entry kept
        blank = Strip.blank(width, style)
        room = height - HEADER_ROWS
        if width <= 0 or room <= 0:
            return [blank] * max(height, 0)
        theme = self.app.current_theme
        header = self._strips(
            Text.assemble((" LIVE CHAT ", f"bold black on {theme.primary}")), width, style
        )
        rows: list[Strip] = []
        for entry in reversed(self.entries):
            block = [*self._entry_rows(entry, width, style), blank]
            if len(rows) + len(block) > room and rows:
                break
            rows[:0] = block
        if not self.entries:
            hint = Text("Say hi in the chat!", style=f"italic {theme.secondary}")
            rows = self._strips(hint, width, style)
        rows = rows[-room:]
        shown = set(self.entries)
        for gone in [entry for entry in self._drawn if entry not in shown]:
            del self._drawn[gone]
        self._rows = [*header, blank, *[blank] * (room - len(rows)), *rows]
        return self._rows

    def render_line(self, y: int) -> Strip:
        rows = self._all_rows()
        if 0 <= y < len(rows):
            return rows[y]
        return Strip.blank(self.content_region.width, self.rich_style)
