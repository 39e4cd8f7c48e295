"""The agent's terminal: lines with ANSI colours, wrapped like xterm, filling from the top and then scrolling, like ``tail -f`` in xterm.

Only the visible rows are drawn (line API), the history is bounded, and appends are
coalesced into at most ``refresh_hz`` redraws a second.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget


class TerminalView(Widget, can_focus=False):
    def __init__(
        self,
        *,
        to_air: Callable[[str], Text],
        max_lines: int = 2000,
        refresh_hz: float = 30.0,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._to_air = to_air
        self._raw: deque[str] = deque(maxlen=max_lines)
        self._lines: deque[Text] = deque(maxlen=max_lines)
        self._rows: deque[Strip] = deque(maxlen=max_lines * 2)
        self._rows_width = 0
        self._pending: list[str] = []
        self._flush_scheduled = False
        self._interval = 1.0 / refresh_hz
        self.frozen = False
        self.flushes = 0
        """How many times appended lines were drawn (at most ``refresh_hz`` a second)."""

    @property
    def lines(self) -> list[Text]:
        return list(self._lines)

    def append(self, lines: list[str]) -> None:
        """Queue raw lines; they are masked and reach the screen at the next refresh slot."""
        self._pending.extend(lines)
        if len(self._pending) > self._lines.maxlen:  # type: ignore[operator]
            del self._pending[: len(self._pending) - self._lines.maxlen]  # type: ignore[operator]
        if self.frozen:
            self.flush()
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            self.set_timer(self._interval, self.flush)

    def remask(self) -> None:
        """Run the whole history through the air filter again (it learnt new secrets)."""
        self._lines.clear()
        self._lines.extend(self._to_air(raw) for raw in self._raw)
        self._rebuild(self.content_region.width)
        self.refresh()

    def clear(self) -> None:
        self._raw.clear()
        self._lines.clear()
        self._rows.clear()
        self._pending.clear()
        self.refresh()

    def flush(self) -> None:
        self._flush_scheduled = False
        if not self._pending:
            return
        self.flushes += 1
        raw, self._pending = self._pending, []
        self._raw.extend(raw)
        pending = [self._to_air(line) for line in raw]
        self._lines.extend(pending)
        width = self.content_region.width
        if width and width == self._rows_width:
            for line in pending:
                self._rows.extend(self._wrap(line, width))
        else:
            self._rebuild(width)
        self.refresh()

    def _wrap(self, line: Text, width: int) -> list[Strip]:
        if not line.plain:
            return [Strip.blank(width, self.rich_style)]
        lines = line.wrap(self.app.console, width, overflow="fold", no_wrap=False)
        strips = []
        for part in lines:
            part.end = ""
            strips.append(Strip(list(part.render(self.app.console)), part.cell_len))
        # Styled once here, so a redraw only hands over finished rows.
        style = self.rich_style
        return [strip.crop_extend(0, width, style).apply_style(style) for strip in strips]

    def _rebuild(self, width: int) -> None:
        self._rows_width = width
        self._rows.clear()
        if width <= 0:
            return
        for line in self._lines:
            self._rows.extend(self._wrap(line, width))

    def on_resize(self) -> None:
        width = self.content_region.width
        if width != self._rows_width:
            self._rebuild(width)
            self.refresh()

    def render_line(self, y: int) -> Strip:
        width, height = self.content_region.width, self.content_region.height
        # Like a terminal running tail -f: fill from the top, then scroll.
        index = y + max(0, len(self._rows) - height)
        if 0 <= index < len(self._rows):
            return self._rows[index]
        return Strip.blank(width, self.rich_style)
