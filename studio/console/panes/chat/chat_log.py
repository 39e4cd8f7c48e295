"""The chat timeline: newest at the bottom, following the tail until you scroll up.

Scrolling up pauses the tail and counts what arrives meanwhile; End resumes. The log
keeps at most the model's scrollback of lines (the journal keeps everything).

A Line API widget: the lines are kept as data. A line taken is only measured (how many
rows it wraps to at the log's width, from its plain text); Rich renders a line when one of
its rows is on screen, once per width and theme. So taking a flood costs a measurement a
line, the lines that scroll past unseen are never rendered, and a resize measures the
kept lines again.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

from rich._wrap import divide_line
from rich.cells import cell_len
from rich.segment import Segment
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.events import Resize
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from studio.console.colours import palette
from studio.console.model import TimelineEntry

PLATFORM_MARKS = {"retake": "RT", "clawcast": "CC", "basefm": "FM"}
PLATFORM_COLOURS = {"retake": "primary", "clawcast": "secondary", "basefm": "accent"}
KIND_LABELS = {"tip": "TIP", "trade": "TRADE", "follow": "FOLLOW", "pin": "PIN",
               "activity": "•", "sent": "YOU"}  # fmt: skip
WORD = re.compile(r"\s*\S+\s*")
"""A word and the spaces after it (the first takes the spaces before it too): Rich's."""
RENDERED_LINES = 256
"""Lines kept rendered (more than a 200x50 screen shows)."""

Part = tuple[str, str]
"""A piece of a line and its style, the theme's colours written as ``{name}``."""


@lru_cache(maxsize=64)
def _clock(minute: int) -> str:
    return datetime.fromtimestamp(minute * 60).strftime("%H:%M ")


def line_parts(line: TimelineEntry) -> list[Part]:
    """What a line shows: time, platform, label, author, amount, text."""
    mark = PLATFORM_MARKS.get(line.platform, line.platform[:2].upper())
    platform_colour = PLATFORM_COLOURS.get(line.platform)
    parts: list[Part] = [
        (_clock(int(line.at // 60)), "{text-muted}"),
        (f"{mark} ", f"bold {{{platform_colour}}}" if platform_colour else "bold "),
    ]
    label = KIND_LABELS.get(line.kind)
    if label:
        colour = "{success}" if line.kind in ("tip", "trade") else "{accent}"
        parts.append((f"{label} ", f"bold {colour}"))
    if line.first_time:
        parts.append(("NEW ", "bold reverse {warning}"))
    parts.append((line.author, "bold {foreground}"))
    if line.amount:
        parts.append((f" {line.amount}", "bold {success}"))
    if line.text:
        parts.append(
            (f": {line.text}" if line.kind in ("chat", "sent", "pin") else f" {line.text}", "")
        )
    return parts


def plain_text(line: TimelineEntry) -> str:
    """The line's text as it is laid out (tabs expanded as Rich expands them)."""
    plain = "".join(part for part, _ in line_parts(line))
    if "\t" in plain:
        text = Text(plain)
        text.expand_tabs()
        plain = text.plain
    return plain


def rows_of(plain: str, width: int) -> int:
    """How many rows Rich wraps ``plain`` to at ``width``: the very split that
    ``Text.wrap`` makes (``divide_line``), without building the styled text."""
    if width <= 0:
        return 1
    return sum(_rows(part, width) for part in plain.split("\n"))


def _rows(part: str, width: int) -> int:
    if part.isascii() and part.isprintable():  # one cell a character
        return 1 if len(part) <= width else _ascii_rows(part, width)
    return 1 if cell_len(part) <= width else len(divide_line(part, width, fold=True)) + 1


def _ascii_rows(text: str, width: int) -> int:
    """``divide_line``'s breaks + 1 for printable ASCII, counted without measuring
    cells (a chat flood measures every line it takes: about four times cheaper)."""
    breaks = offset = 0
    first = True
    for word in WORD.findall(text):
        length = len(word)
        bare = len(word.rstrip())
        if width - offset >= bare:  # fits on this row
            offset += length
        elif bare > width:  # folded across rows
            pieces = -(-length // width)
            breaks += pieces - 1 if first else pieces
            offset = length - (pieces - 1) * width
        elif not first:  # starts the next row
            breaks += 1
            offset = length
        first = False
    return breaks + 1


class ChatLog(ScrollView, can_focus=True):
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
        super().__init__(id=id)
        self.max_lines = max_lines
        """The most lines kept (the scrollback)."""
        self._lines: list[TimelineEntry] = []
        self._plain: list[str] = []
        self._ends: list[int] = []
        """The row after each line's last (rows counted from the last measuring; the
        oldest kept line starts at ``_top``)."""
        self._first = 0
        """Index in the lists of the oldest line kept (those before it are gone: the
        lists are cut in one go once that many have gone)."""
        self._gone = 0
        """Lines cut from the front of the lists: ``_gone + index`` names a line."""
        self._top = 0
        """The first row of the oldest kept line (rows above it belong to lines gone)."""
        self._width = 0
        """The width the lines were measured at (0: not known yet, one row a line)."""
        self._rendered: LRUCache[int, list[Strip]] = LRUCache(RENDERED_LINES)
        self._colours: dict[str, str] | None = None

    # -- taking lines ------------------------------------------------------------------

    @property
    def line_count(self) -> int:
        """Lines kept."""
        return len(self._lines) - self._first

    @property
    def kept(self) -> list[TimelineEntry]:
        """The lines kept, oldest first."""
        return self._lines[self._first :]

    def add(self, lines: Iterable[TimelineEntry]) -> None:
        """Take new lines at the bottom: measured now, rendered when shown."""
        new = list(lines)
        if not new:
            return
        if self.paused:
            self.unseen += len(new)  # the ones that go past the bound unseen count too
        del new[: -self.max_lines]
        width, ends, bottom = self._width, self._ends, self._bottom
        for line in new:
            plain = plain_text(line)
            bottom += rows_of(plain, width)
            self._lines.append(line)
            self._plain.append(plain)
            ends.append(bottom)
        cut = 0
        over = self.line_count - self.max_lines
        if over > 0:
            self._first += over
            top = ends[self._first - 1]
            cut, self._top = top - self._top, top
            if self._first >= self.max_lines:
                self._compact()
        self._settle(cut)

    def clear(self) -> None:
        self._gone += len(self._lines)
        self._lines, self._plain, self._ends = [], [], []
        self._first = self._top = 0
        self._rendered.clear()
        self._settle(0)

    def restyle(self) -> None:
        """After a theme change: the lines shown are rendered again in its colours."""
        self._colours = None
        self._rendered.clear()
        self.refresh()

    @property
    def _bottom(self) -> int:
        return self._ends[-1] if self._ends else self._top

    def _compact(self) -> None:
        first = self._first
        if first:
            del self._lines[:first], self._plain[:first], self._ends[:first]
            self._gone += first
            self._first = 0

    def _settle(self, cut: int) -> None:
        """The rows changed (``cut`` of them went from the top): follow the tail, or keep
        the operator's view on the lines it shows."""
        self._set_rows(self._bottom - self._top)
        if not self.paused:
            self.scroll_to(y=self.max_scroll_y, animate=False)
        elif cut:
            self.scroll_to(y=max(0, self.scroll_y - cut), animate=False)
        self.refresh()

    def _set_rows(self, rows: int) -> None:
        """The scrollable size, without the layout of the whole screen that setting
        ``virtual_size`` asks for: the log's own size never depends on its rows."""
        size = Size(self._width, rows)
        if size != self.virtual_size:
            self.set_reactive(ChatLog.virtual_size, size)
            self._scroll_update(size)

    def on_resize(self, _event: Resize) -> None:
        width = self.scrollable_content_region.width
        if width and width != self._width:
            self._measure(width)
        elif not self.paused:
            self.scroll_to(y=self.max_scroll_y, animate=False)

    def _measure(self, width: int) -> None:
        """Every kept line measured again at a new width; a paused view stays on the
        line at its top."""
        top_line = self._line_at(self._top + int(self.scroll_y)) if self.paused else None
        self._compact()
        self._width = width
        self._rendered.clear()
        bottom, ends = 0, []
        for plain in self._plain:
            bottom += rows_of(plain, width)
            ends.append(bottom)
        self._ends, self._top = ends, 0
        self._set_rows(bottom)
        if top_line is None:
            self.scroll_to(y=self.max_scroll_y, animate=False)
        else:
            self.scroll_to(y=self._start(top_line - self._gone), animate=False)
        self.refresh()

    # -- drawing -----------------------------------------------------------------------

    def _line_at(self, row: int) -> int | None:
        """The name (``_gone + index``) of the line drawn on ``row``."""
        if row < self._top or row >= self._bottom:
            return None
        return self._gone + bisect_right(self._ends, row, self._first)

    def _start(self, index: int) -> int:
        return self._ends[index - 1] if index > self._first else self._top

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        style = self.rich_style
        row = self._top + scroll_y + y
        name = self._line_at(row)
        if name is None:
            return Strip.blank(width, style)
        index = name - self._gone
        strips = self._strips(index)
        offset = row - self._start(index)
        strip = strips[offset] if offset < len(strips) else Strip.blank(0)
        return strip.crop_extend(scroll_x, scroll_x + width, style).apply_style(style)

    def _strips(self, index: int) -> list[Strip]:
        """A line rendered at the log's width (cached by its name)."""
        name = self._gone + index
        strips = self._rendered.get(name)
        if strips is None:
            if self._colours is None:
                self._colours = palette(self.app)
            text = self.render_chat_line(self._lines[index], self._colours)
            text.expand_tabs()
            console = self.app.console
            options = console.options.update_width(self._width or self.size.width or 1)
            strips = Strip.from_lines(list(Segment.split_lines(console.render(text, options))))
            self._rendered[name] = strips
        return strips

    def render_chat_line(self, line: TimelineEntry, colours: dict[str, str] | None = None) -> Text:
        v = _Colours(colours or palette(self.app))
        text = Text(no_wrap=False)
        for part, style in line_parts(line):
            text.append(part, style=style.format_map(v) if style else None)
        return text

    # -- following the tail ------------------------------------------------------------

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


class _Colours(dict[str, str]):
    """A theme colour that is missing formats as nothing (Rich then uses the default)."""

    def __missing__(self, key: str) -> str:
        return ""
